using System.Collections.Concurrent;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Streaming;

/// <summary>
/// The checkpoints of this silo's receivers, written together: each receiver reports how far its
/// partition was delivered, and every <see cref="StreamOptions.CheckpointInterval"/> one statement
/// moves all that moved (see <see cref="LogStore.SaveCheckpointsAsync"/>). A receiver that stops
/// writes its own at once.
/// </summary>
public sealed partial class StreamCheckpoints(LogStore store, IOptions<StreamOptions> options, TimeProvider time, ILogger<StreamCheckpoints> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ConcurrentDictionary<(string Provider, int Partition), long> delivered = new();
    private readonly ConcurrentDictionary<(string Provider, int Partition), long> saved = new();
    private readonly BackgroundLoop loop = new();

    public void Report(string provider, int partition, long seq) =>
        delivered.AddOrUpdate((provider, partition), seq, (_, known) => Math.Max(known, seq));

    /// <summary>Writes the partition's checkpoint now, durably (its receiver is stopping).</summary>
    public async Task FlushAsync(string provider, int partition, CancellationToken cancellationToken)
    {
        if (delivered.TryGetValue((provider, partition), out var seq) && seq > saved.GetValueOrDefault((provider, partition)))
        {
            await store.SaveCheckpointAsync(provider, partition, seq, cancellationToken);
            saved[(provider, partition)] = seq;
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(StreamCheckpoints), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        loop.Start(RunAsync);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (await loop.StopAsync(cancellationToken))
        {
            await SaveAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await SaveAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        var moved = delivered.Where(d => d.Value > saved.GetValueOrDefault(d.Key)).ToList();
        foreach (var group in moved.GroupBy(d => d.Key.Provider))
        {
            try
            {
                await store.SaveCheckpointsAsync(group.Key, [.. group.Select(d => d.Key.Partition)], [.. group.Select(d => d.Value)], cancellationToken);
                foreach (var (key, seq) in group)
                {
                    saved[key] = seq;
                }
            }
            catch (Exception e) when (StorageFailures.IsUnavailable(e))
            {
                // Kept in memory and written next time; a receiver that starts again meanwhile hands on again from the older checkpoint.
                LogSaveFailed(group.Key, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Provider}: saving the checkpoints failed: {Reason}")]
    private partial void LogSaveFailed(string provider, string reason);
}
