using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Argus.Client;

/// <summary>
/// The cluster through Orleans, no HTTP hop: used by a node's own API (the silo's grain factory),
/// by a gateway-only process and by in-cluster services (an Orleans client whose gateways come
/// from the membership in Postgres). An append goes to the grain owning its partition; while that
/// owner moves, is lost or is being taken over (NotOwner, a silo unreachable, an activation that
/// cannot start) it is sent again, up to <see cref="ArgusClusterOptions.RoutingTimeout"/>. The
/// entry's id is fixed before the first attempt, so no retry can store it twice. Reads go to a
/// query grain on the silo a call reaches. In a silo's own process, an append to a partition owned
/// on that silo goes straight into its owner's queue (<see cref="ILocalOwners"/>).
/// </summary>
/// <remarks>
/// An in-cluster service's entries are checked here by the HTTP API's rules
/// (<see cref="Grains.Abstractions.Serialization.AuditEntryJson.Normalize"/>): an invalid one throws
/// <see cref="Grains.Abstractions.Validation.AuditValidationException"/> naming the field and never
/// leaves the process. The HTTP API's own client skips that: it has just read the entry by the same rules.
/// </remarks>
public sealed partial class ArgusClusterClient : IArgusCluster
{
    private readonly IGrainFactory grains;
    private readonly TimeProvider time;
    private readonly ILogger<ArgusClusterClient> logger;
    private readonly TimeSpan routingTimeout;
    private readonly bool entriesValidated;
    private readonly ILocalOwners? localOwners;
    private volatile IPartitionGrain[]? owners;

    public ArgusClusterClient(IGrainFactory grains, IOptions<ArgusClusterOptions> options, TimeProvider time, ILogger<ArgusClusterClient> logger)
        : this(grains, options, time, logger, entriesValidated: false, localOwners: null)
    {
    }

    /// <param name="entriesValidated">True for the HTTP API, whose entries were read by the same rules already.</param>
    /// <param name="localOwners">In a silo's process: its active owners, whose queues it appends to directly.</param>
    internal ArgusClusterClient(
        IGrainFactory grains, IOptions<ArgusClusterOptions> options, TimeProvider time, ILogger<ArgusClusterClient> logger, bool entriesValidated, ILocalOwners? localOwners)
    {
        this.localOwners = localOwners;
        this.grains = grains;
        this.time = time;
        this.logger = logger;
        this.entriesValidated = entriesValidated;
        routingTimeout = options.Value.RoutingTimeout;
    }

    /// <exception cref="Grains.Abstractions.Validation.AuditValidationException">The entry is not valid (in-cluster callers); nothing was sent.</exception>
    public async ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        if (!entriesValidated)
        {
            // Fixed here when the caller did not: every attempt below sends the same id.
            entry = Grains.Abstractions.Serialization.AuditEntryJson.Normalize(entry.Id == Guid.Empty ? entry with { Id = EntryIds.NewId(time) } : entry);
        }

        var started = time.GetTimestamp();
        IPartitionGrain[] all;
        try
        {
            all = owners ?? await OwnersAsync(cancellationToken);
        }
        catch (ArgusUnavailableException e)
        {
            return AppendResult.Failed(AppendStatus.Unavailable, e.Message);
        }

        var partition = PartitionHash.PartitionOf(entry.PartitionKey, all.Length);
        var owner = all[partition];
        for (var attempt = 0; ; attempt++)
        {
            string reason;
            try
            {
                // An attempt unanswered within IPartitionGrain.AttemptTimeout fails and is sent again;
                // a late outcome of it changes nothing (same id).
                var result = localOwners?.TryAppend(partition, entry) is { } local ? await local : await owner.AppendAsync(entry);
                if (result.Status != AppendStatus.NotOwner)
                {
                    return result;
                }

                reason = result.Error ?? "the owner moved";
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                reason = e.Message;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not ArgumentException)
            {
                // Unforeseen, yet sending the same id again is safe: retry, and say what it was.
                LogUnexpected(entry.Id, partition, e);
                reason = e.GetType().Name + ": " + e.Message;
            }

            var remaining = routingTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                LogGaveUp(entry.Id, partition, attempt + 1, reason);
                return AppendResult.Failed(AppendStatus.Unavailable, $"partition {partition} has no reachable owner ({reason}); retry later");
            }

            await Task.Delay(RetryPause(attempt, remaining), time, cancellationToken);
        }
    }

    public Task<AuditPage> QueryAsync(AccessScope scope, AuditQuery query, CancellationToken cancellationToken) =>
        ReadAsync(q => q.QueryAsync(scope, query, cancellationToken), cancellationToken);

    public Task<AuditEntry?> FindAsync(AccessScope scope, Guid id, CancellationToken cancellationToken) =>
        ReadAsync(q => q.FindAsync(scope, id, cancellationToken), cancellationToken);

    public Task<TraceTimeline?> GetTraceAsync(AccessScope scope, Guid traceId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(q => q.GetTraceAsync(scope, traceId, limit, cancellationToken), cancellationToken);

    public Task<AuditStats> GetStatsAsync(AccessScope scope, AuditStatsQuery query, CancellationToken cancellationToken) =>
        ReadAsync(q => q.GetStatsAsync(scope, query, cancellationToken), cancellationToken);

    public Task<EventTypeList> GetEventTypesAsync(AccessScope scope, CancellationToken cancellationToken) =>
        ReadAsync(q => q.GetEventTypesAsync(scope, cancellationToken), cancellationToken);

    public Task<ResourceTypeList> GetResourceTypesAsync(AccessScope scope, CancellationToken cancellationToken) =>
        ReadAsync(q => q.GetResourceTypesAsync(scope, cancellationToken), cancellationToken);

    public Task<long[]> GetLogHeadsAsync(CancellationToken cancellationToken) =>
        ReadAsync(q => q.GetLogHeadsAsync(cancellationToken), cancellationToken);

    public Task<Grains.Abstractions.Streaming.LogSlice> ReadLogAsync(AccessScope scope, int partition, long after, long upTo, int limit, CancellationToken cancellationToken) =>
        ReadAsync(q => q.ReadLogAsync(scope, partition, after, upTo, limit, cancellationToken), cancellationToken);

    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Query.CheckHealthAsync(cancellationToken);
        }
        catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            return new HealthReport(false, "no silo answered: " + e.Message);
        }
    }

    /// <summary>How long a caller sending an entry again pauses before attempt <paramref name="attempt"/> + 1: 10 ms doubling to 250 ms.</summary>
    public static TimeSpan RetryPause(int attempt, TimeSpan remaining)
    {
        var pause = TimeSpan.FromMilliseconds(Math.Min(250, 10 << Math.Min(attempt, 5)));
        return pause < remaining ? pause : remaining;
    }

    private IQueryGrain Query => grains.GetGrain<IQueryGrain>(0);

    /// <summary>The owner of every partition, made once: the partition count is fixed when the cluster is created.</summary>
    private async Task<IPartitionGrain[]> OwnersAsync(CancellationToken cancellationToken)
    {
        var count = await ReadAsync(q => q.GetPartitionCountAsync(), cancellationToken);
        var made = Enumerable.Range(0, count).Select(p => grains.GetGrain<IPartitionGrain>(p)).ToArray();
        owners = made;
        return made;
    }

    /// <summary>
    /// A read on whichever silo the call reaches, tried again while no silo can answer (one lost
    /// mid-call, none reachable yet), up to the routing timeout: then <see cref="ArgusUnavailableException"/>.
    /// A refusal (<see cref="Grains.Abstractions.Validation.AuditValidationException"/>) and Postgres
    /// unavailable (<see cref="ArgusUnavailableException"/>) come back as they are.
    /// </summary>
    private async Task<T> ReadAsync<T>(Func<IQueryGrain, Task<T>> read, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await read(Query);
            }
            catch (Exception e) when (IsTransient(e) && e is not ArgusUnavailableException && !cancellationToken.IsCancellationRequested)
            {
                var remaining = routingTimeout - time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new ArgusUnavailableException("no silo could answer the read; retry later", e);
                }

                await Task.Delay(RetryPause(attempt, remaining), time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Failures that another attempt may not see: a silo lost or unreachable, no answer in time,
    /// an owner that could not be activated yet (Postgres down, the silo starting).
    /// </summary>
    private static bool IsTransient(Exception e) => e is OrleansException or TimeoutException or ArgusUnavailableException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Entry {Id}: the owner of partition {Partition} failed unexpectedly; sending it again")]
    private partial void LogUnexpected(Guid id, int partition, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Entry {Id}: no owner of partition {Partition} answered after {Attempts} attempts: {Reason}")]
    private partial void LogGaveUp(Guid id, int partition, int attempts, string reason);
}
