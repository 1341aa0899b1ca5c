using System.Diagnostics.Metrics;
using Argus.Grains.Partitions;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Argus.Grains.Forwarding;

/// <summary>
/// Keeps every forwarder's lanes of the partitions owned on this silo active (a lane whose silo
/// died starts again at the next round, wherever Orleans places it, and drains what is behind even
/// if no new entry arrives), and publishes each forwarder's lag as the gauge
/// <c>argus.forwarder.lag</c> (entries committed and not yet delivered or set aside).
/// </summary>
public sealed partial class ForwarderSupervisor(
    ForwarderCatalog catalog, ForwarderStore store, LocalPartitions partitions, IGrainFactory grains, TimeProvider time,
    Telemetry.ArgusMetrics metrics, ILogger<ForwarderSupervisor> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource stopping = new();
    private Dictionary<string, ForwarderProgress> progress = [];
    private Task loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ForwarderSupervisor), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    public void Dispose() => stopping.Dispose();

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (catalog.All.Count > 0)
        {
            metrics.Meter.CreateObservableGauge("argus.forwarder.lag", Observe, "{entry}", "Committed entries a forwarder has not delivered yet");
            loop = Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private IEnumerable<Measurement<long>> Observe() =>
        Volatile.Read(ref progress).Values.Select(p => new Measurement<long>(p.Lag, new KeyValuePair<string, object?>("forwarder", p.Forwarder)));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                var owned = partitions.Owned;
                await Task.WhenAll(catalog.All.SelectMany(f => owned.Select(p =>
                    grains.GetGrain<IForwarderLane>(ForwarderLaneGrain.KeyOf(f.Name, p)).EnsureRunningAsync())));
                Volatile.Write(ref progress, await store.ReadProgressAsync([.. catalog.All.Select(f => f.Name)], cancellationToken));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogRoundFailed(e.Message);
            }
        }
        while (await Streaming.Ticks.NextAsync(timer, cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarders: keeping the lanes running failed this round: {Reason}")]
    private partial void LogRoundFailed(string reason);
}
