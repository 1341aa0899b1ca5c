using Argus.Grains.Abstractions;
using Argus.Grains.Streams;

namespace Argus.Grains;

/// <summary>
/// The grain of one trace. Its entries wait here, in arrival order, until the writer drains the
/// grain as a whole into a commit, so a trace's entries are stored together and in order. The
/// grain holds no other state: once idle it is deactivated and a later call activates a new one.
/// </summary>
public sealed class TraceGrain : ITraceGrain
{
    private readonly List<PendingAppend> pending = [];
    private readonly PartitionStream stream;
    private readonly AuditLogWriter writer;
    private readonly TimeProvider time;
    private bool scheduled;
    private bool deactivated;
    private long lastActiveTimestamp;

    public TraceGrain(Guid key, PartitionStream stream, AuditLogWriter writer, TimeProvider time)
    {
        Key = key;
        this.stream = stream;
        this.writer = writer;
        this.time = time;
        lastActiveTimestamp = time.GetTimestamp();
    }

    public Guid Key { get; }

    public int Partition => stream.Partition;

    /// <summary>Set once the grain has been removed from its silo's directory; callers then activate a new one.</summary>
    public bool IsDeactivated
    {
        get
        {
            lock (pending)
            {
                return deactivated;
            }
        }
    }

    public async ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        if (entry.PartitionKey != Key)
        {
            throw new ArgumentException($"Entry {entry.Id} belongs to trace {entry.PartitionKey}, not {Key}.", nameof(entry));
        }

        if (!stream.IsOwned)
        {
            return AppendResult.Failed(AppendStatus.NotOwner, $"partition {stream.Partition} is not owned by this silo");
        }

        if (!writer.TryReserve())
        {
            return AppendResult.Failed(AppendStatus.Overloaded, "ingest buffers are full; retry later");
        }

        var append = new PendingAppend(entry, stream);
        bool schedule;
        lock (pending)
        {
            if (deactivated)
            {
                writer.Release(1);
                return AppendResult.Failed(AppendStatus.NotOwner, "trace grain was deactivated; activate it again");
            }

            pending.Add(append);
            lastActiveTimestamp = time.GetTimestamp();
            schedule = !scheduled;
            scheduled = true;
        }

        if (schedule)
        {
            stream.Schedule(this);
        }

        // The entry is committed whether or not the caller is still there to hear it, and the writer
        // answers every accepted entry within its commit timeout, so the wait needs no cancellation.
        return await append.Outcome;
    }

    /// <summary>Moves up to <paramref name="room"/> waiting entries into a batch; true when none are left.</summary>
    internal bool TakePending(List<PendingAppend> batch, int room)
    {
        lock (pending)
        {
            var count = Math.Min(room, pending.Count);
            batch.AddRange(pending.GetRange(0, count));
            pending.RemoveRange(0, count);
            scheduled = pending.Count > 0;
            return !scheduled;
        }
    }

    /// <summary>Deactivates the grain if it has nothing waiting and has been idle for <paramref name="idleFor"/>.</summary>
    internal bool TryDeactivate(TimeSpan idleFor)
    {
        lock (pending)
        {
            if (deactivated)
            {
                return true;
            }

            if (scheduled || pending.Count > 0 || time.GetElapsedTime(lastActiveTimestamp) < idleFor)
            {
                return false;
            }

            deactivated = true;
            return true;
        }
    }
}
