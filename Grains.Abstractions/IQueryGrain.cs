using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Security;

namespace Argus.Grains.Abstractions;

/// <summary>
/// Reads, answered on the silo a call reaches (a stateless worker): exact, deterministic pages,
/// single entries, traces, statistics and vocabularies. Every acknowledged entry is in Postgres
/// before its acknowledgement, so any silo answers every read exactly. Every read takes the
/// caller's <see cref="AccessScope"/> and answers only from the entries inside it.
/// </summary>
public interface IQueryGrain : IGrainWithIntegerKey
{
    Task<AuditPage> QueryAsync(AccessScope scope, AuditQuery query, CancellationToken cancellationToken);

    /// <summary>The entry with this id, or null when none is stored.</summary>
    Task<AuditEntry?> FindAsync(AccessScope scope, Guid id, CancellationToken cancellationToken);

    /// <summary>The trace as a timeline, or null when no entry has this trace id.</summary>
    Task<TraceTimeline?> GetTraceAsync(AccessScope scope, Guid traceId, int limit, CancellationToken cancellationToken);

    Task<AuditStats> GetStatsAsync(AccessScope scope, AuditStatsQuery query, CancellationToken cancellationToken);

    Task<EventTypeList> GetEventTypesAsync(AccessScope scope, CancellationToken cancellationToken);

    Task<ResourceTypeList> GetResourceTypesAsync(AccessScope scope, CancellationToken cancellationToken);

    /// <summary>Every partition's head (the sequence number of its last committed entry), indexed by partition.</summary>
    Task<long[]> GetLogHeadsAsync(CancellationToken cancellationToken);

    /// <summary>The committed entries of a partition after <paramref name="after"/> and at most <paramref name="upTo"/>, in sequence order (at most <paramref name="limit"/>).</summary>
    Task<Streaming.LogSlice> ReadLogAsync(AccessScope scope, int partition, long after, long upTo, int limit, CancellationToken cancellationToken);

    /// <summary>Healthy while Postgres answers and every partition has an owner on an active silo.</summary>
    Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>The cluster's partition count: fixed when its schema was created.</summary>
    Task<int> GetPartitionCountAsync();
}
