namespace Argus.Silo;

/// <summary>
/// What callers need to know of the silo's life: whether start-up is complete, and a signal that
/// fires whenever partition ownership changes, so waiting callers re-check instead of polling.
/// </summary>
public sealed class SiloState
{
    private TaskCompletionSource changed = NewSignal();
    private volatile bool started;

    /// <summary>Schema migrated and partition streams in place.</summary>
    public bool IsStarted => started;

    /// <summary>Completes at the next ownership change.</summary>
    public Task NextOwnershipChange => Volatile.Read(ref changed).Task;

    internal void MarkStarted() => started = true;

    internal void OwnershipChanged() => Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
