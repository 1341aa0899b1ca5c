using System.Collections.Concurrent;
using System.Threading.Channels;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.SelfAudit;

/// <summary>
/// Appends Argus's entries about itself through the cluster, in the background: recording never
/// waits on the cluster and never fails the request that caused it. Entries wait in a bounded
/// queue (one more entry when it is full is dropped and logged); each is retried with the same id
/// while the cluster cannot take it, up to <see cref="SelfAuditOptions.AppendTimeout"/>.
/// </summary>
public sealed partial class SelfAuditLog(
    IArgusCluster cluster, IOptions<SelfAuditOptions> options, TimeProvider time, ILogger<SelfAuditLog> logger) : BackgroundService
{
    private readonly Channel<Pending> queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Ids queued and not yet appended: the same entry is not queued twice.</summary>
    private readonly ConcurrentDictionary<Guid, byte> queued = new();

    public bool Enabled => options.Value.Enabled;

    /// <summary>Queues <paramref name="entry"/>; <paramref name="onStored"/> runs once it is stored. Returns at once.</summary>
    public void Record(AuditEntry entry, Func<CancellationToken, Task>? onStored = null)
    {
        if (!Enabled || !queued.TryAdd(entry.Id, 0))
        {
            return;
        }

        if (!queue.Writer.TryWrite(new Pending(entry, onStored)))
        {
            queued.TryRemove(entry.Id, out _);
            LogDropped(entry.EventType);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var pending in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await AppendAsync(pending, stoppingToken);
            }
            finally
            {
                queued.TryRemove(pending.Entry.Id, out _);
            }
        }
    }

    private async Task AppendAsync(Pending pending, CancellationToken stoppingToken)
    {
        var entry = pending.Entry;
        var started = time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(100);
        string? problem = null;
        while (time.GetElapsedTime(started) < options.Value.AppendTimeout)
        {
            try
            {
                var result = await cluster.AppendAsync(entry, stoppingToken);
                if (result.IsSuccess)
                {
                    if (pending.OnStored is { } onStored)
                    {
                        await onStored(stoppingToken);
                    }

                    return;
                }

                if (result.Status is AppendStatus.Conflict or AppendStatus.Rejected)
                {
                    LogRefused(entry.EventType, entry.Id, result.Error);
                    return;
                }

                problem = result.Error;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                problem = e.Message;
            }

            await Task.Delay(pause, time, stoppingToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }

        LogFailed(entry.EventType, entry.Id, problem);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Self-audit queue full: the {EventType} entry is dropped")]
    private partial void LogDropped(string? eventType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Self-audit entry {EventType} ({Id}) refused by the cluster: {Error}")]
    private partial void LogRefused(string? eventType, Guid id, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Self-audit entry {EventType} ({Id}) could not be appended in time: {Error}")]
    private partial void LogFailed(string? eventType, Guid id, string? error);

    private sealed record Pending(AuditEntry Entry, Func<CancellationToken, Task>? OnStored);
}
