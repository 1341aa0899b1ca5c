using Argus.Grains.Abstractions.Streaming;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Argus.Grains.Streaming;

/// <summary>
/// Reads one partition of the committed log for one consumer group (the provider). It starts after
/// the group's checkpoint, reads in sequence order while the partition's head is ahead of what it
/// has read (from this silo's own commits when it has them, else from Postgres), and moves the
/// checkpoint only past entries the pulling agent reports delivered to every
/// consumer. A receiver that starts again (here or on another silo) therefore hands on again what
/// was read but not yet delivered: delivery is at least once, and consumers recognise a repeat by
/// its sequence number.
/// </summary>
public sealed partial class LogQueueReceiver(
    string provider, int partition, LogStore store, CommittedHeads heads, StreamCheckpoints checkpoints, StreamOptions options, TimeProvider time, ILogger<LogQueueReceiver> logger)
    : IQueueAdapterReceiver
{
    private readonly StreamId stream = LogStreams.Of(partition);
    private readonly List<(long Seq, Argus.Grains.Abstractions.AuditEntry Entry)> kept = [];
    private long read;

    public async Task Initialize(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout, time);
        read = await store.LoadCheckpointAsync(provider, partition, cancel.Token);
        LogStarted(provider, partition, read);
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        if (heads.Head(partition) <= read || maxCount <= 0)
        {
            return [];
        }

        var max = Math.Min(maxCount, options.MaxSliceEntries);
        kept.Clear();
        var slice = heads.TryRead(partition, read, max, kept)
            ? new LogSlice(partition, [.. kept.Select(k => k.Seq)], [.. kept.Select(k => k.Entry)], kept[^1].Seq)
            : await store.ReadAsync(partition, read, long.MaxValue, max, tenant: null, CancellationToken.None);
        if (slice.Count == 0)
        {
            return [];
        }

        if (slice.Seqs[0] != read + 1)
        {
            // The log is gap-free per partition; a hole means rows were removed (retention) behind the checkpoint.
            LogSkipped(provider, partition, read + 1, slice.Seqs[0] - 1);
        }

        read = slice.Through;
        return [new LogBatchContainer(stream, slice)];
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages)
    {
        foreach (var message in messages)
        {
            if (message is LogBatchContainer batch)
            {
                checkpoints.Report(provider, partition, batch.Slice.Through);
            }
        }

        return Task.CompletedTask;
    }

    public async Task Shutdown(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout, time);
        try
        {
            await checkpoints.FlushAsync(provider, partition, cancel.Token);
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e) || e is OperationCanceledException)
        {
            // The receiver that takes over hands on again from the older checkpoint.
            LogSaveFailed(provider, partition, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Provider}: receiving partition {Partition} after sequence number {Checkpoint}")]
    private partial void LogStarted(string provider, int partition, long checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Provider}: partition {Partition} has no entries {First}..{Last}; they were removed before this group read them")]
    private partial void LogSkipped(string provider, int partition, long first, long last);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Provider}: saving the checkpoint of partition {Partition} failed: {Reason}")]
    private partial void LogSaveFailed(string provider, int partition, string reason);
}
