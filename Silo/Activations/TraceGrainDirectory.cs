using System.Collections.Concurrent;
using Argus.Grains;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Streams;
using Argus.Silo.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Argus.Silo.Activations;

/// <summary>
/// The silo's table of trace grain activations: a grain is activated by its first call and
/// deactivated after it has been idle with nothing waiting (the sweep below), as in Orleans.
/// </summary>
internal sealed class TraceGrainDirectory(
    PartitionStreams streams,
    AuditLogWriter writer,
    TimeProvider time,
    IOptions<SiloOptions> options) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, TraceGrain> activations = new();
    private readonly TimeSpan idleTimeout = options.Value.TraceGrainIdleTimeout;

    public int ActivationCount => activations.Count;

    /// <summary>The live activation for <paramref name="key"/>, activating it if needed.</summary>
    public TraceGrain GetGrain(Guid key)
    {
        while (true)
        {
            var grain = activations.GetOrAdd(key, Activate);
            if (!grain.IsDeactivated)
            {
                return grain;
            }

            activations.TryRemove(new KeyValuePair<Guid, TraceGrain>(key, grain));
        }
    }

    public int PartitionOf(Guid key) => PartitionHash.PartitionOf(key, streams.PartitionCount);

    private TraceGrain Activate(Guid key) => new(key, streams[PartitionOf(key)], writer, time);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(idleTimeout / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var (key, grain) in activations)
                {
                    if (grain.TryDeactivate(idleTimeout))
                    {
                        activations.TryRemove(new KeyValuePair<Guid, TraceGrain>(key, grain));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
