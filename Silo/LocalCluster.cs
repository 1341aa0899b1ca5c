using Argus.Grains;
using Argus.Grains.Abstractions;
using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Argus.Silo.Activations;
using Argus.Silo.Options;
using Microsoft.Extensions.Options;

namespace Argus.Silo;

/// <summary>
/// The cluster as seen from inside a silo that owns the partitions it is asked about: calls are
/// plain method calls on local grains, with no serialisation. An append whose partition is
/// momentarily unowned (start-up, a lost lock connection) waits for ownership to return, up to
/// <see cref="SiloOptions.RoutingTimeout"/>; the entry's id is fixed, so the retry is safe.
/// </summary>
internal sealed class LocalCluster(
    TraceGrainDirectory directory,
    QueryGrain queries,
    AuditStore store,
    PartitionStreams streams,
    SiloState state,
    TimeProvider time,
    IOptions<SiloOptions> options) : IArgusCluster
{
    private readonly TimeSpan routingTimeout = options.Value.RoutingTimeout;

    public async ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        if (!state.IsStarted)
        {
            return AppendResult.Failed(AppendStatus.Unavailable, "the node is starting");
        }

        var started = time.GetTimestamp();
        while (true)
        {
            var ownershipChanged = state.NextOwnershipChange;
            var grain = directory.GetGrain(entry.PartitionKey);
            var result = await grain.AppendAsync(entry, cancellationToken);
            if (result.Status != AppendStatus.NotOwner)
            {
                return result;
            }

            if (streams[grain.Partition].IsOwned)
            {
                continue; // the grain was deactivated or ownership has just come back: go again at once
            }

            var remaining = routingTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return AppendResult.Failed(AppendStatus.Unavailable, $"partition {grain.Partition} has no owner; retry later");
            }

            await Task.WhenAny(ownershipChanged, Task.Delay(remaining, time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken) =>
        queries.QueryAsync(query, cancellationToken);

    public async Task<AuditEntry?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        (await store.FindAsync([id], cancellationToken)).GetValueOrDefault(id);

    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (!state.IsStarted)
        {
            return new HealthReport(false, "starting");
        }

        try
        {
            await store.PingAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return new HealthReport(false, "postgres unreachable: " + e.Message);
        }

        var unowned = streams.All.Count(s => !s.IsOwned);
        return unowned == 0 ? HealthReport.Ok : new HealthReport(false, $"{unowned} partitions have no owner");
    }
}
