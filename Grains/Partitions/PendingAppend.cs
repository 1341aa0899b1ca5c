using System.Diagnostics;
using Argus.Grains.Abstractions;

namespace Argus.Grains.Partitions;

/// <summary>One entry on its way to storage, and the caller waiting for its outcome.</summary>
internal sealed class PendingAppend(AuditEntry entry, PartitionLog log)
{
    private readonly TaskCompletionSource<AppendResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AuditEntry Entry => entry;

    public PartitionLog Log => log;

    /// <summary>The span of the request that appended it, which the commit storing it links to.</summary>
    public ActivityContext Caller { get; } = Telemetry.ArgusTracing.CurrentContext();

    public Task<AppendResult> Outcome => completion.Task;

    public bool IsCompleted => completion.Task.IsCompleted;

    /// <summary>Answers the caller; false when it was answered already.</summary>
    public bool Complete(AppendResult result) => completion.TrySetResult(result);
}
