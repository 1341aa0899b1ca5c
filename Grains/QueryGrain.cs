using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Storage;

namespace Argus.Grains;

/// <summary>
/// Answers filtered reads with exact pages. Postgres is the source of truth and holds every
/// partition, so a page and its exact total are one plain statement. Each page reads one row more
/// than it returns, to know whether a next page (and its cursor) exists.
/// </summary>
public sealed class QueryGrain(AuditStore store, PageCursors cursors) : IQueryGrain
{
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        if (query.Cursor is not null && query.Offset > 0)
        {
            throw new AuditValidationException("cursor", "Validation error: give 'cursor' or 'offset', not both: a cursor already says where its page starts");
        }

        if (!cursors.IsReady)
        {
            throw new ArgusUnavailableException("the node is starting");
        }

        var after = query.Cursor is { } cursor ? cursors.Decode(cursor, query) : (OrderKey?)null;
        var count = query.IncludeTotal ?? after is null;
        try
        {
            var read = await store.ReadAsync(new PageRead(query, null, after, query.Offset, query.Limit + 1, KeysOnly: false, count), cancellationToken);
            var logs = read.Logs.Take(query.Limit).ToList();
            var next = read.Logs.Count > query.Limit ? cursors.Encode(OrderKey.Of(logs[^1]), query) : null;
            return new AuditPage(logs, read.Count, query.Limit, query.Offset, next);
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e))
        {
            throw new ArgusUnavailableException("Postgres is unreachable: " + e.Message, e);
        }
    }
}
