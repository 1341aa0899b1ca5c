using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Streaming;
using Argus.Grains.Partitions;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Streaming;

/// <summary>
/// What this silo knows of every partition's head (its last committed sequence number), and the
/// entries its own writer committed last: learnt at once from this silo's commits, and from
/// Postgres every <see cref="StreamOptions.HeadPollInterval"/> for partitions committed elsewhere.
/// One small read of <c>argus_partitions</c> per interval serves every receiver on the silo, so an
/// idle receiver costs a comparison in memory, not a query; and a receiver on the silo that owns
/// its partition (all of them in a single node) takes the entries from memory, not Postgres.
/// </summary>
public sealed partial class CommittedHeads(LogStore store, LocalPartitions partitions, IOptions<StreamOptions> options, TimeProvider time, ILogger<CommittedHeads> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private RecentLog[] heads = [];
    private readonly BackgroundLoop loop = new();

    /// <summary>The highest committed sequence number known for the partition (0 before anything is known).</summary>
    public long Head(int partition)
    {
        var known = Volatile.Read(ref heads);
        return partition < known.Length ? known[partition].Head : 0;
    }

    /// <summary>This silo committed the slice's entries (consecutive, in sequence order).</summary>
    public void Committed(LogSlice slice)
    {
        var known = Volatile.Read(ref heads);
        if (slice.Partition < known.Length)
        {
            known[slice.Partition].Add(slice);
        }
    }

    /// <summary>Entries of the partition right after <paramref name="after"/> kept from this silo's commits, at most <paramref name="max"/>; false when the next is not kept.</summary>
    public bool TryRead(int partition, long after, int max, List<(long Seq, AuditEntry Entry)> into)
    {
        var known = Volatile.Read(ref heads);
        return partition < known.Length && known[partition].TryRead(after, max, into);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CommittedHeads), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref heads, [.. Enumerable.Range(0, partitions.PartitionCount).Select(_ => new RecentLog(options.Value.RecentEntries))]);
        loop.Start(PollAsync);
        return Task.CompletedTask;
    }

    private Task StopAsync(CancellationToken cancellationToken) => loop.StopAsync(cancellationToken);

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeadPollInterval, time);
        var failing = false;
        do
        {
            try
            {
                var read = await store.ReadHeadsAsync(cancellationToken);
                var known = Volatile.Read(ref heads);
                for (var p = 0; p < Math.Min(read.Length, known.Length); p++)
                {
                    known[p].Raise(read[p]);
                }

                failing = false;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    LogPollFailed(e);
                }

                failing = true;
            }
        }
        while (await Ticks.NextAsync(timer, cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the partitions' heads failed; the committed log's receivers wait until it works again")]
    private partial void LogPollFailed(Exception exception);
}
