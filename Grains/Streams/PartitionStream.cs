using Argus.Grains.Abstractions;

namespace Argus.Grains.Streams;

/// <summary>
/// The stream of one partition: the trace grains with entries waiting to be flushed, in the
/// order they became ready, and the lease under which the partition may be written. The silo's
/// single <see cref="AuditLogWriter"/> drains every ready stream into one commit.
/// </summary>
public sealed class PartitionStream
{
    private readonly Queue<TraceGrain> ready = new();
    private readonly AuditLogWriter writer;
    private bool signaled;
    private volatile PartitionLease? lease;

    internal PartitionStream(int partition, AuditLogWriter writer)
    {
        Partition = partition;
        this.writer = writer;
    }

    public int Partition { get; }

    /// <summary>The current lease, or null while this silo does not own the partition.</summary>
    public PartitionLease? Lease => lease is { IsRevoked: false } current ? current : null;

    public bool IsOwned => Lease is not null;

    /// <summary>Starts writing under a new ownership.</summary>
    public void Grant(PartitionLease newLease) => lease = newLease;

    /// <summary>
    /// Stops writing at once. Entries not yet handed to the writer are answered NotOwner so that
    /// their callers can route them to the new owner; ids are fixed, so that retry is safe.
    /// </summary>
    public void Revoke()
    {
        lease?.Revoke();
        lease = null;
        var abandoned = new List<PendingAppend>();
        lock (ready)
        {
            while (ready.TryDequeue(out var grain))
            {
                grain.TakePending(abandoned, int.MaxValue);
            }
        }

        foreach (var pending in abandoned)
        {
            writer.Complete(pending, AppendResult.Failed(AppendStatus.NotOwner, $"partition {Partition} is not owned by this silo"));
        }
    }

    /// <summary>Called by a trace grain that has just received its first unflushed entry.</summary>
    internal void Schedule(TraceGrain grain)
    {
        bool signal;
        lock (ready)
        {
            ready.Enqueue(grain);
            signal = !signaled;
            signaled = true;
        }

        if (signal)
        {
            writer.Signal(this);
        }
    }

    /// <summary>Moves up to <paramref name="room"/> entries into the batch, whole traces first. True when entries remain.</summary>
    internal bool Drain(List<PendingAppend> batch, int room)
    {
        lock (ready)
        {
            while (room > 0 && ready.TryPeek(out var grain))
            {
                var before = batch.Count;
                if (grain.TakePending(batch, room))
                {
                    ready.Dequeue();
                }

                room -= batch.Count - before;
            }

            signaled = ready.Count > 0;
            return signaled;
        }
    }
}
