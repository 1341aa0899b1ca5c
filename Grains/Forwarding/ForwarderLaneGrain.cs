using System.Globalization;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Streaming;
using Argus.Grains.Storage;
using Argus.Grains.Streaming;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Argus.Grains.Forwarding;

/// <summary>One forwarder's delivery of one partition (key <c>&lt;forwarder&gt;/&lt;partition&gt;</c>).</summary>
public interface IForwarderLane : IGrainWithStringKey
{
    /// <summary>A slice of the partition's stream: delivered from memory when it continues what the lane has.</summary>
    Task OfferAsync(LogSlice slice);

    /// <summary>Keeps the lane active (it delivers whatever is behind the partition's head, stream or not).</summary>
    Task EnsureRunningAsync();
}

/// <summary>
/// Posts one partition's committed entries to one forwarder's receiver, in sequence order, one
/// batch at a time: the position (in Postgres) moves past a batch only once the receiver took it,
/// or, after the retry budget, set it aside as a dead letter for a 4xx. Other failures back off
/// and retry without end, holding the partition's order. Entries come from the stream's slices
/// while they continue the lane's position, else from Postgres by sequence number, so a lane that
/// starts again anywhere (a silo died) resumes after its last delivered batch: at least once, in
/// order, each entry carrying its id for the receiver to drop repeats. Reentrant, so offers reach
/// it while it waits on a receiver; its single loop is the only sender.
/// </summary>
[Reentrant]
public sealed partial class ForwarderLaneGrain(
    ForwarderCatalog catalog, ForwarderStore positions, LogStore log, CommittedHeads heads, TimeProvider time, ILogger<ForwarderLaneGrain> logger)
    : Grain, IForwarderLane
{
    private const int MaxKeptSlices = 16;

    private readonly Queue<LogSlice> kept = new();
    private readonly List<AuditEntry> batch = [];
    private ForwarderDefinition forwarder = null!;
    private int partition;
    private long position;
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? stopping;
    private Task loop = Task.CompletedTask;

    public static string KeyOf(string forwarder, int partition) => $"{forwarder}/{partition.ToString(CultureInfo.InvariantCulture)}";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.LastIndexOf('/');
        forwarder = catalog.Find(key[..slash]) ?? throw new InvalidOperationException($"no forwarder named '{key[..slash]}' is configured");
        partition = int.Parse(key[(slash + 1)..], CultureInfo.InvariantCulture);
        position = await positions.LoadPositionAsync(forwarder.Name, partition, forwarder.FromBeginning, cancellationToken);
        stopping = new CancellationTokenSource();
        loop = RunAsync(stopping.Token);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (stopping is not null)
        {
            await stopping.CancelAsync();
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
    }

    public Task OfferAsync(LogSlice slice)
    {
        var last = kept.Count > 0 ? kept.Last().Through : position;
        if (slice.Through > last && slice.Before <= last && kept.Count < MaxKeptSlices)
        {
            kept.Enqueue(slice);
        }

        Wake();
        return Task.CompletedTask;
    }

    public Task EnsureRunningAsync()
    {
        Wake();
        return Task.CompletedTask;
    }

    private void Wake() => wake.TrySetResult();

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var head = heads.Head(partition);
                if (position >= head && !kept.Any(s => s.Through > position))
                {
                    var signal = wake.Task;
                    await Task.WhenAny(signal, Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken));
                    if (signal.IsCompleted)
                    {
                        wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    continue;
                }

                var through = await NextBatchAsync(Math.Max(head, kept.Count > 0 ? kept.Max(s => s.Through) : 0), cancellationToken);
                if (batch.Count > 0)
                {
                    failures = await DeliverAsync(through, failures, cancellationToken);
                }
                else
                {
                    await positions.SavePositionAsync(forwarder.Name, partition, through, delivered: false, cancellationToken);
                    position = through;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Postgres unreachable, most likely: the position is where it was; try again shortly.
                LogLaneFailed(forwarder.Name, partition, e.Message);
                await Task.Delay(Backoff(++failures), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            }
        }
    }

    /// <summary>Fills <see cref="batch"/> with the matching entries after the position (from kept slices or Postgres); returns how far it read.</summary>
    private async Task<long> NextBatchAsync(long head, CancellationToken cancellationToken)
    {
        batch.Clear();
        while (kept.Count > 0 && kept.Peek().Through <= position)
        {
            kept.Dequeue();
        }

        var through = position;
        if (kept.Count > 0 && kept.Peek().Before <= position)
        {
            while (kept.Count > 0 && kept.Peek().Before <= through && batch.Count < forwarder.BatchSize)
            {
                var slice = kept.Peek();
                var i = 0;
                for (; i < slice.Count && batch.Count < forwarder.BatchSize; i++)
                {
                    if (slice.Seqs[i] > through)
                    {
                        through = slice.Seqs[i];
                        Take(slice.Entries[i]);
                    }
                }

                if (i < slice.Count)
                {
                    break;
                }

                through = Math.Max(through, slice.Through);
                kept.Dequeue();
            }

            return through;
        }

        kept.Clear();
        var read = await log.ReadAsync(partition, position, head, forwarder.BatchSize, tenant: null, cancellationToken);
        for (var i = 0; i < read.Count; i++)
        {
            Take(read.Entries[i]);
        }

        return read.Through;
    }

    private void Take(AuditEntry entry)
    {
        if (forwarder.Filter.Matches(entry))
        {
            batch.Add(entry);
        }
    }

    /// <summary>Posts the batch until the receiver takes it or refuses it for good; then moves the position to <paramref name="through"/>.</summary>
    private async Task<int> DeliverAsync(long through, int failures, CancellationToken cancellationToken)
    {
        var json = ForwarderDelivery.ToJson(batch);
        var refusals = 0;
        while (true)
        {
            var (outcome, status, error) = await ForwarderDelivery.PostAsync(catalog.Http, forwarder, json, cancellationToken);
            if (outcome == DeliveryOutcome.Delivered)
            {
                await positions.SavePositionAsync(forwarder.Name, partition, through, delivered: true, cancellationToken);
                position = through;
                return 0;
            }

            if (outcome == DeliveryOutcome.Refused && ++refusals >= forwarder.MaxAttempts)
            {
                await positions.AddDeadLetterAsync(forwarder.Name, partition, position + 1, through, batch.Count, json, status, error, refusals, cancellationToken);
                LogDeadLettered(forwarder.Name, partition, batch.Count, error);
                position = through;
                return 0;
            }

            LogDeliveryFailed(forwarder.Name, partition, error);
            await Task.Delay(Backoff(++failures), time, cancellationToken);
        }
    }

    /// <summary>Exponential from 100 ms to the forwarder's maximum, with jitter so lanes of one receiver spread their retries.</summary>
    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(forwarder.MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16))) * (0.5 + (Random.Shared.NextDouble() / 2)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarder {Forwarder}, partition {Partition}: delivery failed, retrying: {Error}")]
    private partial void LogDeliveryFailed(string forwarder, int partition, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarder {Forwarder}, partition {Partition}: the receiver refused {Count} entries; set aside as a dead letter: {Error}")]
    private partial void LogDeadLettered(string forwarder, int partition, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarder {Forwarder}, partition {Partition}: {Reason}")]
    private partial void LogLaneFailed(string forwarder, int partition, string reason);
}
