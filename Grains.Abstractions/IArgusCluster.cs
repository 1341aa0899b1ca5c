using Argus.Grains.Abstractions.Reports;

namespace Argus.Grains.Abstractions;

/// <summary>
/// The cluster as callers see it: append entries, read pages. The gateway is written against
/// this; in single-node mode it is the local silo (plain method calls), in a cluster it routes
/// to the silo that owns each entry's partition.
/// </summary>
public interface IArgusCluster
{
    ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>The entry with this id, or null when none is stored.</summary>
    Task<AuditEntry?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>True while the cluster can accept and read entries (Postgres reachable, partitions owned).</summary>
    Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>The trace as a timeline (its first <paramref name="limit"/> entries, oldest first, and a summary of all), or null when no entry has this trace id.</summary>
    Task<TraceTimeline?> GetTraceAsync(Guid traceId, int limit, CancellationToken cancellationToken);

    /// <summary>Counts of the entries in the query's time range, in all and by status, event type, actor type and event action.</summary>
    Task<AuditStats> GetStatsAsync(AuditStatsQuery query, CancellationToken cancellationToken);

    /// <summary>The distinct event types stored.</summary>
    Task<EventTypeList> GetEventTypesAsync(CancellationToken cancellationToken);
}
