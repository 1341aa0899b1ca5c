using Argus.Grains.Abstractions;

namespace Argus.Grains.Streams;

/// <summary>One entry on its way to storage, and the caller waiting for its outcome.</summary>
internal sealed class PendingAppend(AuditEntry entry, PartitionStream stream)
{
    private readonly TaskCompletionSource<AppendResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AuditEntry Entry => entry;

    public PartitionStream Stream => stream;

    public Task<AppendResult> Outcome => completion.Task;

    public bool IsCompleted => completion.Task.IsCompleted;

    public void Complete(AppendResult result) => completion.TrySetResult(result);
}
