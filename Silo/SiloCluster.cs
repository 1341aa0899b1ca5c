using Argus.Client.Routing;
using Argus.Grains;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Argus.Silo.Activations;
using Argus.Silo.Options;
using Argus.Silo.Routing;
using Microsoft.Extensions.Options;

namespace Argus.Silo;

/// <summary>
/// The cluster as seen from a silo. An entry whose partition this silo owns goes to its local
/// trace grain as a plain method call (no serialisation); any other is forwarded to the owner
/// named by the partition directory. While a partition has no owner (start-up, a crashed silo
/// not yet replaced) or the directory is stale, the append waits for ownership to change and
/// tries again, up to <see cref="SiloOptions.RoutingTimeout"/>; the entry's id is fixed, so no
/// retry can store it twice. Filtered reads go to the query grain, which asks each partition's
/// owner and reads from Postgres whatever they do not answer. Traces and reports read Postgres
/// directly: every acknowledged entry is committed there before its acknowledgement, so any silo
/// answers them exactly, whoever owns the partitions.
/// </summary>
internal sealed class SiloCluster : IArgusCluster
{
    private readonly TraceGrainDirectory grains;
    private readonly PartitionDirectory partitions;
    private readonly SiloProtocol forwarder;
    private readonly QueryGrain queries;
    private readonly AuditStore store;
    private readonly AuditReportStore reports;
    private readonly PartitionStreams streams;
    private readonly SiloState state;
    private readonly TimeProvider time;
    private readonly TimeSpan routingTimeout;

    public SiloCluster(
        TraceGrainDirectory grains,
        PartitionDirectory partitions,
        SiloProtocol forwarder,
        QueryGrain queries,
        AuditStore store,
        AuditReportStore reports,
        PartitionStreams streams,
        SiloState state,
        TimeProvider time,
        IOptions<SiloOptions> options)
    {
        this.grains = grains;
        this.partitions = partitions;
        this.forwarder = forwarder;
        this.queries = queries;
        this.store = store;
        this.reports = reports;
        this.streams = streams;
        this.state = state;
        this.time = time;
        routingTimeout = options.Value.RoutingTimeout;
    }

    public async ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        if (!state.IsStarted)
        {
            return AppendResult.Failed(AppendStatus.Unavailable, "the node is starting");
        }

        var started = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var ownershipChanged = state.NextOwnershipChange;
            var partition = grains.PartitionOf(entry.PartitionKey);
            if (streams[partition].IsOwned)
            {
                var local = await grains.GetGrain(entry.PartitionKey).AppendAsync(entry, cancellationToken);
                if (local.Status != AppendStatus.NotOwner)
                {
                    return local;
                }

                if (streams[partition].IsOwned)
                {
                    continue; // the grain was deactivated meanwhile: go again at once
                }
            }
            else if (await OwnerOfAsync(partition, cancellationToken) is { } owner)
            {
                if (await forwarder.AppendAsync(owner, entry, cancellationToken) is { Status: not AppendStatus.NotOwner } forwarded)
                {
                    return forwarded;
                }

                partitions.Invalidate(); // misdirected or unreachable: the map is stale
            }

            var remaining = routingTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return AppendResult.Failed(AppendStatus.Unavailable, $"partition {partition} has no reachable owner; retry later");
            }

            // Ownership here may come back at any moment (signal); elsewhere it shows up in the map.
            await Task.WhenAny(ownershipChanged, Task.Delay(SiloProtocol.RetryPause(attempt, remaining), time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The partition's owner, or null while the directory cannot be read (Postgres unreachable): the append waits as for no owner.</summary>
    private async ValueTask<string?> OwnerOfAsync(int partition, CancellationToken cancellationToken)
    {
        try
        {
            return await partitions.OwnerOfAsync(partition, cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Appends only if this silo owns the entry's partition (a forwarded entry): never forwards again.</summary>
    internal async ValueTask<AppendResult> AppendLocallyAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var partition = grains.PartitionOf(entry.PartitionKey);
        while (streams[partition].IsOwned)
        {
            var result = await grains.GetGrain(entry.PartitionKey).AppendAsync(entry, cancellationToken);
            if (result.Status != AppendStatus.NotOwner)
            {
                return result;
            }
        }

        return AppendResult.Failed(AppendStatus.NotOwner, $"partition {partition} is not owned by this silo");
    }

    public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken) =>
        queries.QueryAsync(query, cancellationToken);

    public async Task<AuditEntry?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        (await store.FindAsync([id], cancellationToken)).GetValueOrDefault(id);

    public Task<TraceTimeline?> GetTraceAsync(Guid traceId, int limit, CancellationToken cancellationToken) =>
        reports.TraceAsync(traceId, limit, cancellationToken);

    public Task<AuditStats> GetStatsAsync(AuditStatsQuery query, CancellationToken cancellationToken) =>
        reports.StatsAsync(query, cancellationToken);

    public Task<EventTypeList> GetEventTypesAsync(CancellationToken cancellationToken) =>
        reports.EventTypesAsync(cancellationToken);

    /// <summary>Healthy while Postgres answers and every partition is owned, here or by another live silo.</summary>
    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (!state.IsStarted)
        {
            return new HealthReport(false, "starting");
        }

        int unowned;
        try
        {
            await store.PingAsync(cancellationToken);
            unowned = streams.All.All(s => s.IsOwned) ? 0 : await partitions.CountUnownedAsync(streams.PartitionCount, cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return new HealthReport(false, "postgres unreachable: " + e.Message);
        }

        return unowned == 0 ? HealthReport.Ok : new HealthReport(false, $"{unowned} partitions have no owner");
    }
}
