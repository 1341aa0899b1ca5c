using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Streaming;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Tail;

/// <summary>
/// A node's view of the committed log for its tail clients. While it has clients it watches every
/// partition's relay (the stream's consumer), keeps each partition's latest entries as they arrive,
/// and reads the partitions' heads every second; every arrival or newer head wakes the clients,
/// which take entries from here or, when theirs are older than what is kept (or a slice was missed),
/// from Postgres. The stream makes the tail immediate; the heads make it complete.
/// </summary>
public sealed partial class TailHub(IArgusCluster cluster, IGrainFactory grains, IOptions<TailOptions> options, ILogger<TailHub> logger)
    : ILogTailObserver, IAsyncDisposable
{
    private readonly object gate = new();
    private RecentLog[] partitions = [];
    private TaskCompletionSource changed = NewSignal();
    private int clients;
    private CancellationTokenSource? watching;
    private Task watch = Task.CompletedTask;
    private ILogTailObserver? reference;

    public int PartitionCount => Volatile.Read(ref partitions).Length;

    /// <summary>Completes at the next arrival or newer head.</summary>
    public Task Changed => Volatile.Read(ref changed).Task;

    /// <summary>Registers a client; the returned handle unregisters it. The first client starts the watch; its heads are read before this returns.</summary>
    public async Task<IAsyncDisposable> ConnectAsync(CancellationToken cancellationToken)
    {
        var heads = await cluster.GetLogHeadsAsync(cancellationToken);
        lock (gate)
        {
            if (partitions.Length != heads.Length)
            {
                Volatile.Write(ref partitions, [.. heads.Select(_ => new RecentLog(options.Value.RecentEntries))]);
            }

            RaiseHeads(heads);
            if (++clients == 1)
            {
                watching = new CancellationTokenSource();
                reference = grains.CreateObjectReference<ILogTailObserver>(this);
                var token = watching.Token;
                watch = Task.Run(() => WatchAsync(reference, token), CancellationToken.None);
            }
        }

        return new Client(this);
    }

    /// <summary>The highest sequence number known committed in the partition.</summary>
    public long Head(int partition) => Volatile.Read(ref partitions)[partition].Head;

    /// <summary>Kept entries of the partition right after <paramref name="after"/>, at most <paramref name="max"/>; false when the entry after it is not kept.</summary>
    public bool TryRead(int partition, long after, int max, List<(long Seq, AuditEntry Entry)> into) =>
        Volatile.Read(ref partitions)[partition].TryRead(after, max, into);

    public void OnCommitted(LogSlice slice)
    {
        var known = Volatile.Read(ref partitions);
        if (slice.Partition < known.Length && known[slice.Partition].Add(slice))
        {
            Pulse();
        }
    }

    public async ValueTask DisposeAsync()
    {
        CancellationTokenSource? stop;
        lock (gate)
        {
            (stop, watching) = (watching, null);
        }

        await StopWatchingAsync(stop);
    }

    private async Task DisconnectAsync()
    {
        CancellationTokenSource? stop = null;
        lock (gate)
        {
            if (--clients == 0)
            {
                (stop, watching) = (watching, null);
            }
        }

        await StopWatchingAsync(stop);
    }

    private async Task StopWatchingAsync(CancellationTokenSource? stop)
    {
        if (stop is not null)
        {
            await stop.CancelAsync();
            await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            stop.Dispose();
        }
    }

    /// <summary>Renews the watch of every relay, and reads the heads, until the last client leaves; then lets the watches go.</summary>
    private async Task WatchAsync(ILogTailObserver observer, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var renewed = long.MinValue;
        using var timer = new PeriodicTimer(settings.HeadRefreshInterval);
        try
        {
            do
            {
                if (renewed == long.MinValue || TimeProvider.System.GetElapsedTime(renewed) >= settings.WatchRenewInterval)
                {
                    renewed = TimeProvider.System.GetTimestamp();
                    await Task.WhenAll(Enumerable.Range(0, PartitionCount).Select(p => RenewAsync(p, observer)));
                }

                try
                {
                    RaiseHeads(await cluster.GetLogHeadsAsync(cancellationToken));
                }
                catch (ArgusUnavailableException e)
                {
                    LogHeadsUnavailable(e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(Enumerable.Range(0, PartitionCount).Select(p => Ignore(grains.GetGrain<ILogTailRelay>(p).UnwatchAsync(observer))));
            grains.DeleteObjectReference<ILogTailObserver>(observer);
        }
    }

    private async Task RenewAsync(int partition, ILogTailObserver observer)
    {
        try
        {
            await grains.GetGrain<ILogTailRelay>(partition).WatchAsync(observer);
        }
        catch (Exception e)
        {
            // Slices of that partition reach this node late (by its head) until the next renewal works.
            LogWatchFailed(partition, e.Message);
        }
    }

    private static async Task Ignore(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception)
        {
            // The watch lapses by itself.
        }
    }

    private void RaiseHeads(long[] heads)
    {
        var known = Volatile.Read(ref partitions);
        var raised = false;
        for (var p = 0; p < Math.Min(heads.Length, known.Length); p++)
        {
            raised |= known[p].Raise(heads[p]);
        }

        if (raised)
        {
            Pulse();
        }
    }

    private void Pulse() => Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live tail: the partitions' heads could not be read: {Reason}")]
    private partial void LogHeadsUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Live tail: watching partition {Partition} failed: {Reason}")]
    private partial void LogWatchFailed(int partition, string reason);

    private sealed class Client(TailHub hub) : IAsyncDisposable
    {
        private int disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref disposed, 1) == 0 ? new ValueTask(hub.DisconnectAsync()) : ValueTask.CompletedTask;
    }
}
