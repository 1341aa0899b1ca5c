using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Security;

namespace Argus.Grains.Abstractions;

/// <summary>
/// The cluster as callers see it: append entries, read pages. The gateway is written against
/// this; in single-node mode it is the local silo (plain method calls), in a cluster it routes
/// to the silo that owns each entry's partition. Every read takes the caller's
/// <see cref="AccessScope"/>: it answers only from the entries inside it.
/// </summary>
public interface IArgusCluster
{
    ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    Task<AuditPage> QueryAsync(AccessScope scope, AuditQuery query, CancellationToken cancellationToken);

    /// <summary>The entry with this id, or null when none is stored.</summary>
    Task<AuditEntry?> FindAsync(AccessScope scope, Guid id, CancellationToken cancellationToken);

    /// <summary>True while the cluster can accept and read entries (Postgres reachable, partitions owned).</summary>
    Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>The trace as a timeline (its first <paramref name="limit"/> entries, oldest first, and a summary of all), or null when no entry has this trace id.</summary>
    Task<TraceTimeline?> GetTraceAsync(AccessScope scope, Guid traceId, int limit, CancellationToken cancellationToken);

    /// <summary>Counts of the entries in the query's time range, in all and by status, event type, actor type, event action and resource type.</summary>
    Task<AuditStats> GetStatsAsync(AccessScope scope, AuditStatsQuery query, CancellationToken cancellationToken);

    /// <summary>The distinct event types stored.</summary>
    Task<EventTypeList> GetEventTypesAsync(AccessScope scope, CancellationToken cancellationToken);

    /// <summary>The distinct resource types stored.</summary>
    Task<ResourceTypeList> GetResourceTypesAsync(AccessScope scope, CancellationToken cancellationToken);

    /// <summary>Every partition's head in the committed log (the sequence number of its last entry, 0 when none), indexed by partition.</summary>
    Task<long[]> GetLogHeadsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The committed entries of <paramref name="partition"/> in the caller's scope after sequence
    /// number <paramref name="after"/> and at most <paramref name="upTo"/>, oldest first, at most
    /// <paramref name="limit"/>; the slice says how far it read (<see cref="Streaming.LogSlice.Through"/>).
    /// </summary>
    Task<Streaming.LogSlice> ReadLogAsync(AccessScope scope, int partition, long after, long upTo, int limit, CancellationToken cancellationToken);
}
