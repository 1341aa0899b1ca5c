using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Microsoft.Extensions.Logging;

namespace Argus.Grains;

/// <summary>
/// Answers filtered reads with exact pages. The partitions that matter (all of them, or the one of
/// a trace) are read where they are owned: this silo reads its own, each other live owner is asked
/// for its partitions' first matches and their count, and the answers are merged in page order.
/// Postgres holds every partition, so whatever an owner does not answer in time (or no live silo
/// owns) is read from Postgres right here: a slow or lost silo costs time, never a wrong page.
/// When this silo is the only reader needed, the page and its count are one plain statement.
/// </summary>
public sealed partial class QueryGrain(
    AuditStore store,
    PartitionStreams streams,
    PageCursors cursors,
    IQueryPeers peers,
    ILogger<QueryGrain> logger) : IQueryGrain
{
    /// <summary>
    /// The most keys an owner sends for one page (offset + limit + 1). A deeper page would cost each
    /// owner that many keys and the merge as many steps, while one statement here only walks an
    /// index: such a page is read directly (see docs/architecture.md for the measurements).
    /// </summary>
    public const int MaxMergedKeys = 2_000;

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
            var (logs, more, total) = await ReadPageAsync(query, after, count, cancellationToken);
            var next = more && logs.Count > 0 ? cursors.Encode(OrderKey.Of(logs[^1]), query) : null;
            return new AuditPage(logs, total, query.Limit, query.Offset, next);
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e))
        {
            throw new ArgusUnavailableException(StorageFailures.DescribeRead(e), e);
        }
    }

    /// <summary>
    /// Another silo's question about partitions this silo owns: their first matches and count, or
    /// null when this silo does not own every one of them (the asker reads them itself).
    /// </summary>
    public async Task<PartitionRows?> ReadOwnedAsync(PartitionQuery query, CancellationToken cancellationToken)
    {
        if (query.Partitions.Count == 0 || query.Partitions.Any(p => p < 0 || p >= streams.PartitionCount || !streams[p].IsOwned))
        {
            return null;
        }

        return await store.ReadAsync(PageRead.For(query), cancellationToken);
    }

    private async Task<(List<AuditEntry> Logs, bool More, long? Total)> ReadPageAsync(
        AuditQuery query, OrderKey? after, bool count, CancellationToken cancellationToken)
    {
        // A trace's entries all live in its partition: only that partition's owner matters.
        int[] relevant = query.TraceId is { } trace
            ? [PartitionHash.PartitionOf(trace, streams.PartitionCount)]
            : Enumerable.Range(0, streams.PartitionCount).ToArray();
        var merged = (long)query.Offset + query.Limit + 1;
        var direct = new List<int>();
        var remote = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        if (merged <= MaxMergedKeys && !relevant.All(p => streams[p].IsOwned))
        {
            var owners = await OwnersAsync(cancellationToken);
            foreach (var partition in relevant)
            {
                if (!streams[partition].IsOwned && owners.TryGetValue(partition, out var owner))
                {
                    (remote.TryGetValue(owner, out var list) ? list : remote[owner] = []).Add(partition);
                }
                else
                {
                    direct.Add(partition);
                }
            }
        }

        if (remote.Count == 0)
        {
            // This silo reads every partition that matters: the plain statement, no partition predicate.
            var all = await store.ReadAsync(new PageRead(query, null, after, query.Offset, query.Limit + 1, KeysOnly: false, count), cancellationToken);
            return (all.Logs.Take(query.Limit).ToList(), all.Logs.Count > query.Limit, all.Count);
        }

        // First pages merge the owners' entries; deeper ones merge keys and fetch only the page's entries.
        // A total the maintained counts can give is one statement here (they are kept per hour for
        // the whole log, not per partition); any other total is the sum of the owners' counts.
        var keysOnly = query.Offset > 0;
        var counted = count && AuditFilters.AreCounted(query) ? store.CountAsync(query, cancellationToken) : null;
        var ask = new PartitionQuery(query with { Cursor = null, Offset = 0, IncludeTotal = null }, [], after, (int)merged, keysOnly, count && counted is null);
        var answers = new List<PartitionRows>();
        var local = direct.Count > 0 ? store.ReadAsync(PageRead.For(ask with { Partitions = direct }), cancellationToken) : null;
        var asked = remote.Select(r => (Owner: r.Key, Partitions: r.Value, Answer: peers.ReadAsync(r.Key, ask with { Partitions = r.Value }, cancellationToken))).ToList();
        var unanswered = new List<int>();
        foreach (var (owner, partitions, answer) in asked)
        {
            if (await answer is { } rows)
            {
                answers.Add(rows);
            }
            else
            {
                LogReadDirectly(owner, partitions.Count);
                unanswered.AddRange(partitions);
            }
        }

        if (unanswered.Count > 0)
        {
            answers.Add(await store.ReadAsync(PageRead.For(ask with { Partitions = unanswered }), cancellationToken));
        }

        if (local is not null)
        {
            answers.Add(await local);
        }

        long? total = counted is not null ? await counted : count ? answers.Sum(a => a.Count ?? 0) : null;
        if (!keysOnly)
        {
            var top = Merge(answers.Select(a => a.Logs).ToList(), OrderKey.Of, query.Limit + 1);
            return (top.Take(query.Limit).ToList(), top.Count > query.Limit, total);
        }

        var keys = Merge(answers.Select(a => a.Keys).ToList(), k => k, (int)merged);
        var logs = await store.ReadEntriesAsync(keys.Skip(query.Offset).Take(query.Limit).ToList(), cancellationToken);
        return (logs, keys.Count > query.Offset + query.Limit, total);
    }

    /// <summary>The other owners, or none while the directory cannot be read (then this silo reads everything itself).</summary>
    private async Task<IReadOnlyDictionary<int, string>> OwnersAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await peers.OwnersAsync(cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e))
        {
            return new Dictionary<int, string>();
        }
    }

    /// <summary>The first <paramref name="take"/> items of lists each already in page order, in page order (k-way merge).</summary>
    private static List<T> Merge<T>(List<IReadOnlyList<T>> lists, Func<T, OrderKey> key, int take)
    {
        var merged = new List<T>(Math.Min(take, lists.Sum(l => l.Count)));
        var heads = new PriorityQueue<(int List, int Index), OrderKey>();
        for (var i = 0; i < lists.Count; i++)
        {
            if (lists[i].Count > 0)
            {
                heads.Enqueue((i, 0), key(lists[i][0]));
            }
        }

        while (merged.Count < take && heads.TryDequeue(out var head, out _))
        {
            var list = lists[head.List];
            merged.Add(list[head.Index]);
            if (head.Index + 1 < list.Count)
            {
                heads.Enqueue((head.List, head.Index + 1), key(list[head.Index + 1]));
            }
        }

        return merged;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Owner} gave no answer for {Partitions} partitions (not in time, failed, or no longer their owner); read them from Postgres")]
    private partial void LogReadDirectly(string owner, int partitions);
}
