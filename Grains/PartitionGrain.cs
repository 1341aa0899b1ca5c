using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Argus.Grains.Storage;
using Argus.Grains.Writing;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;

namespace Argus.Grains;

/// <summary>
/// The owner of one partition. Activating it takes the partition over in Postgres (a new epoch,
/// which fences out any earlier activation's commits); appends queue on their trace in the
/// partition's log and are answered by the silo's writer once committed. Calls interleave: an
/// append only queues and waits. Placement puts it on the silo the partition assignment names;
/// the balancer hands it over when membership changes, and Orleans activates it again elsewhere.
/// </summary>
[Reentrant]
[KeepAlive]
[Immovable]
[PartitionPlacement]
public sealed partial class PartitionGrain(
    AuditStore store,
    AuditLogWriter writer,
    LocalPartitions partitions,
    ILocalSiloDetails silo,
    ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    private PartitionLog? log;

    private int Partition => (int)this.GetPrimaryKeyLong();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!partitions.IsReady)
        {
            throw new ArgusUnavailableException("the silo is starting");
        }

        if (Partition < 0 || Partition >= partitions.PartitionCount)
        {
            throw new ArgumentOutOfRangeException(nameof(IGrainWithIntegerKey), $"partition {Partition} is not one of the cluster's {partitions.PartitionCount}");
        }

        PartitionLease lease;
        try
        {
            lease = await store.TakeOwnershipAsync(Partition, silo.SiloAddress.ToParsableString(), cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e))
        {
            // Logged here: the caller may be another process, and Npgsql's exceptions do not serialise.
            LogTakeOverFailed(Partition, e);
            throw new ArgusUnavailableException($"partition {Partition} cannot be taken over: Postgres is unreachable");
        }

        // Revocation comes from the writer's loop; deactivation must run on this activation's scheduler.
        var scheduler = TaskScheduler.Current;
        log = new PartitionLog(lease, writer, () => Task.Factory.StartNew(
            DeactivateOnIdle, CancellationToken.None, TaskCreationOptions.None, scheduler));
        partitions.Add(log);
        LogActivated(Partition, lease.Epoch, lease.LastSeq);
    }

    public ValueTask<AppendResult> AppendAsync(AuditEntry entry)
    {
        if (PartitionHash.PartitionOf(entry.PartitionKey, partitions.PartitionCount) != Partition)
        {
            throw new ArgumentException($"entry {entry.Id} belongs to another partition than {Partition}", nameof(entry));
        }

        return new ValueTask<AppendResult>(log!.AppendAsync(entry));
    }

    public async Task<PartitionRows?> ReadOwnedAsync(PartitionQuery query, CancellationToken cancellationToken) =>
        query.Partitions.Count > 0 && query.Partitions.All(partitions.IsOwned)
            ? await store.ReadAsync(PageRead.For(query), cancellationToken)
            : null;

    public Task EnsureActiveAsync() => Task.CompletedTask;

    public async Task HandOffAsync()
    {
        log!.Close();
        await log.WhenDrained;
        DeactivateOnIdle();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (log is null)
        {
            return; // the activation failed before it took the partition over
        }

        // Whatever was accepted is committed before the partition is given up.
        log.Close();
        try
        {
            await log.WhenDrained.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogDeactivatedUndrained(Partition);
        }

        partitions.Remove(log);
        if (log.Lease is { } lease)
        {
            try
            {
                await store.ReleaseOwnershipAsync(Partition, lease.Epoch, cancellationToken);
            }
            catch (Exception e) when (StorageFailures.IsUnavailable(e) || e is OperationCanceledException)
            {
                // Only the owner column stays stale; the next activation writes its own.
            }
        }

        LogDeactivated(Partition, reason.Description);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Partition {Partition} taken over at epoch {Epoch}, sequence {LastSeq}")]
    private partial void LogActivated(int partition, long epoch, long lastSeq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition} cannot be taken over: Postgres is unavailable")]
    private partial void LogTakeOverFailed(int partition, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Partition {Partition} given up: {Reason}")]
    private partial void LogDeactivated(int partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition} deactivated before its accepted entries were answered")]
    private partial void LogDeactivatedUndrained(int partition);
}
