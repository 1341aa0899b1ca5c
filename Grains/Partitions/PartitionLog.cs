using Argus.Grains.Abstractions;
using Argus.Grains.Writing;

namespace Argus.Grains.Partitions;

/// <summary>
/// What the activation owning a partition keeps on its silo: a queue per trace with entries
/// waiting for the silo's writer (traces in the order they became ready), and the lease the
/// partition is written under. The writer drains every ready partition of the silo into one
/// commit; callers are answered from the commit.
/// </summary>
internal sealed class PartitionLog
{
    private readonly object gate = new();
    private readonly Dictionary<Guid, TraceQueue> traces = [];
    private readonly Queue<TraceQueue> ready = new();
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AuditLogWriter writer;
    private readonly PartitionLease lease;
    private readonly Action revoked;
    private bool signaled;
    private bool closed;
    private int unanswered;

    /// <param name="revoked">Called once when the lease is lost (another activation took the partition over).</param>
    public PartitionLog(PartitionLease lease, AuditLogWriter writer, Action revoked)
    {
        this.lease = lease;
        this.writer = writer;
        this.revoked = revoked;
    }

    public int Partition => lease.Partition;

    /// <summary>The lease, or null once it is revoked: then nothing more may be written under it.</summary>
    public PartitionLease? Lease => lease.IsRevoked ? null : lease;

    /// <summary>Completes once the log is closed and every entry it accepted has been answered.</summary>
    public Task WhenDrained => drained.Task;

    /// <summary>Queues the entry on its trace; the task completes once the entry is committed (or why not).</summary>
    public Task<AppendResult> AppendAsync(AuditEntry entry)
    {
        if (lease.IsRevoked)
        {
            return Task.FromResult(NotOwner());
        }

        if (!writer.TryReserve())
        {
            return Task.FromResult(AppendResult.Failed(AppendStatus.Overloaded, "ingest buffers are full; retry later"));
        }

        var append = new PendingAppend(entry, this);
        bool signal;
        lock (gate)
        {
            if (closed)
            {
                writer.Release(1);
                return Task.FromResult(AppendResult.Failed(AppendStatus.NotOwner, $"partition {Partition} is moving to another silo"));
            }

            if (!traces.TryGetValue(entry.PartitionKey, out var trace))
            {
                trace = new TraceQueue(entry.PartitionKey);
                traces.Add(trace.Key, trace);
                ready.Enqueue(trace);
            }

            trace.Pending.Add(append);
            unanswered++;
            signal = !signaled;
            signaled = true;
        }

        if (signal)
        {
            writer.Signal(this);
        }

        return append.Outcome;
    }

    /// <summary>Moves up to <paramref name="room"/> entries into the batch, whole traces first. True when entries remain.</summary>
    internal bool Drain(List<PendingAppend> batch, int room)
    {
        lock (gate)
        {
            while (room > 0 && ready.TryPeek(out var trace))
            {
                var count = Math.Min(room, trace.Pending.Count);
                batch.AddRange(trace.Pending.GetRange(0, count));
                trace.Pending.RemoveRange(0, count);
                room -= count;
                if (trace.Pending.Count == 0)
                {
                    ready.Dequeue();
                    traces.Remove(trace.Key);
                }
            }

            signaled = ready.Count > 0;
            return signaled;
        }
    }

    /// <summary>Counts an accepted entry as answered (the writer answers each exactly once).</summary>
    internal void Answered()
    {
        lock (gate)
        {
            if (--unanswered == 0 && closed)
            {
                drained.TrySetResult();
            }
        }
    }

    /// <summary>Takes no more entries; those accepted are still committed and answered (see <see cref="WhenDrained"/>).</summary>
    public void Close()
    {
        lock (gate)
        {
            closed = true;
            if (unanswered == 0)
            {
                drained.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The partition has a new owner: stop writing at once. Entries not yet handed to the writer
    /// are answered NotOwner, so their callers send them again to the new owner; their ids are
    /// fixed, so that is safe.
    /// </summary>
    public void Revoke()
    {
        if (lease.IsRevoked)
        {
            return;
        }

        lease.Revoke();
        var abandoned = new List<PendingAppend>();
        Drain(abandoned, int.MaxValue);
        foreach (var pending in abandoned)
        {
            writer.Complete(pending, NotOwner());
        }

        revoked();
    }

    private AppendResult NotOwner() => AppendResult.Failed(AppendStatus.NotOwner, $"partition {Partition} has a new owner; send the entry again");
}
