using Argus.Grains.Abstractions;
using Argus.Grains.Storage;

namespace Argus.Grains;

/// <summary>
/// Answers filtered reads. Postgres is the source of truth and holds every partition, so a silo
/// that owns all partitions answers a page and its exact total in one round trip.
/// </summary>
public sealed class QueryGrain(AuditStore store) : IQueryGrain
{
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var read = await store.ReadAsync(new PageRead(query, null, null, query.Offset, query.Limit, KeysOnly: false, Count: true), cancellationToken);
        return new AuditPage(read.Logs, read.Count!.Value, query.Limit, query.Offset);
    }
}
