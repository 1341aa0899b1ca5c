using Argus.Grains.Partitions;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Streaming;

/// <summary>
/// What this silo knows of every partition's head (its last committed sequence number): learnt at
/// once from this silo's own commits, and from Postgres every <see cref="StreamOptions.HeadPollInterval"/>
/// for partitions committed elsewhere. One small read of <c>argus_partitions</c> per interval serves
/// every receiver on the silo, so an idle receiver costs a comparison in memory, not a query.
/// </summary>
public sealed partial class CommittedHeads(LogStore store, LocalPartitions partitions, IOptions<StreamOptions> options, TimeProvider time, ILogger<CommittedHeads> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private long[] heads = [];
    private CancellationTokenSource? stopping;
    private Task loop = Task.CompletedTask;

    /// <summary>The highest committed sequence number known for the partition (0 before anything is known).</summary>
    public long Head(int partition)
    {
        var known = Volatile.Read(ref heads);
        return partition < known.Length ? Volatile.Read(ref known[partition]) : 0;
    }

    /// <summary>Every partition's known head, indexed by partition.</summary>
    public long[] All()
    {
        var known = Volatile.Read(ref heads);
        return [.. known.Select((_, p) => Volatile.Read(ref known[p]))];
    }

    /// <summary>A commit of this silo moved the partition's head.</summary>
    public void Committed(int partition, long seq)
    {
        var known = Volatile.Read(ref heads);
        if (partition < known.Length)
        {
            Raise(ref known[partition], seq);
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CommittedHeads), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref heads, new long[partitions.PartitionCount]);
        stopping = new CancellationTokenSource();
        loop = Task.Run(() => PollAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (stopping is null)
        {
            return;
        }

        await stopping.CancelAsync();
        await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

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
                    Raise(ref known[p], read[p]);
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
        while (await NextTickAsync(timer, cancellationToken));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void Raise(ref long head, long seq)
    {
        var current = Volatile.Read(ref head);
        while (seq > current)
        {
            var seen = Interlocked.CompareExchange(ref head, seq, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the partitions' heads failed; the committed log's receivers wait until it works again")]
    private partial void LogPollFailed(Exception exception);
}
