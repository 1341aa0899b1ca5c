using Argus.Grains.Abstractions;
using Argus.Grains.Storage;

namespace Argus.Grains;

/// <summary>
/// Answers filtered reads. Postgres is the source of truth and holds every partition, so a silo
/// that owns all partitions answers a page and its exact total in one round trip.
/// </summary>
public sealed class QueryGrain(AuditStore store) : IQueryGrain
{
    public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken) =>
        store.QueryAsync(query, cancellationToken);
}
