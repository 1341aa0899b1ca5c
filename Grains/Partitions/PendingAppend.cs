using Argus.Grains.Abstractions;

namespace Argus.Grains.Partitions;

/// <summary>One entry on its way to storage, and the caller waiting for its outcome.</summary>
internal sealed class PendingAppend(AuditEntry entry, PartitionLog log)
{
    private readonly TaskCompletionSource<AppendResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AuditEntry Entry => entry;

    public PartitionLog Log => log;

    public Task<AppendResult> Outcome => completion.Task;

    public bool IsCompleted => completion.Task.IsCompleted;

    /// <summary>Answers the caller; false when it was answered already.</summary>
    public bool Complete(AppendResult result) => completion.TrySetResult(result);
}
