using Argus.Grains.Abstractions;
using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Argus.Silo.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Argus.Silo.Partitions;

/// <summary>
/// Keeps this silo's share of the partitions owned and gives up the rest. On every membership
/// change (and every <see cref="SiloOptions.BalanceInterval"/>, in case a call failed) it computes
/// the <see cref="PartitionAssignment"/> over the active silos, as the placement director does:
/// partitions assigned here that have no owner here are activated (placement puts them here), and
/// owners here whose partition is now assigned elsewhere hand over (commit what they accepted,
/// deactivate) and are activated again where the director now places them. A dead silo's
/// partitions therefore come back as soon as the survivors see it dead, not at the next append.
/// </summary>
internal sealed partial class PartitionBalancer(
    IGrainFactory grains,
    LocalPartitions partitions,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IOptions<SiloOptions> options,
    TimeProvider time,
    ILogger<PartitionBalancer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource stopping = new();
    private Task loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PartitionBalancer), ServiceLifecycleStage.Active, Start, StopAsync);

    private Task Start(CancellationToken cancellationToken)
    {
        loop = Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops first on shutdown, so nothing re-activates partitions while the silo deactivates them.</summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var updates = membership.MembershipUpdates.GetAsyncEnumerator(cancellationToken);
        var nextUpdate = updates.MoveNextAsync().AsTask();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await BalanceAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogBalanceFailed(e);
            }

            try
            {
                await Task.WhenAny(nextUpdate, Task.Delay(options.Value.BalanceInterval, time, cancellationToken));
                if (nextUpdate.IsCompleted && await nextUpdate)
                {
                    nextUpdate = updates.MoveNextAsync().AsTask();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task BalanceAsync(CancellationToken cancellationToken)
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToList();
        var self = active.IndexOf(silo.SiloAddress);
        if (self < 0 || !partitions.IsReady)
        {
            return; // not active (yet, or any more): placement does not count on this silo
        }

        var owners = PartitionAssignment.Assign(partitions.PartitionCount, active.Select(s => s.ToParsableString()).ToList());
        var handOver = partitions.Owned.Where(p => owners[p] != self).ToList();
        if (handOver.Count > 0)
        {
            LogHandingOver(handOver.Count, active.Count);
            await Task.WhenAll(handOver.Select(async p =>
            {
                var owner = grains.GetGrain<IPartitionGrain>(p);
                await owner.HandOffAsync().WaitAsync(cancellationToken);
                await owner.EnsureActiveAsync().WaitAsync(cancellationToken); // activated where placement now puts it
            }));
        }

        var missing = Enumerable.Range(0, partitions.PartitionCount).Where(p => owners[p] == self && !partitions.IsOwned(p)).ToList();
        if (missing.Count > 0)
        {
            await Task.WhenAll(missing.Select(p => grains.GetGrain<IPartitionGrain>(p).EnsureActiveAsync().WaitAsync(cancellationToken)));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Handing over {Count} partitions: they are assigned to other silos now ({Silos} active)")]
    private partial void LogHandingOver(int count, int silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Balancing partitions failed; trying again")]
    private partial void LogBalanceFailed(Exception exception);
}
