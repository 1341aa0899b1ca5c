using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Options;
using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Argus.Grains;

/// <summary>
/// Answers reads on the silo a call reaches. Every acknowledged entry is committed to Postgres
/// before its acknowledgement, so this silo answers exactly whoever owns the partitions. A page
/// over several partitions is one statement (<see cref="QueryPlan.OneStatement"/>), or, with
/// <see cref="QueryPlan.FanOut"/>, each owner's part merged in page order: this silo reads its own
/// partitions, asks every other owner for its partitions' first matches and count, and reads from
/// Postgres whatever an owner does not answer in time. A slow or lost silo costs time, never rows.
/// </summary>
[StatelessWorker]
public sealed partial class QueryGrain(
    AuditStore store,
    AuditReportStore reports,
    LogStore log,
    LocalPartitions partitions,
    PageCursors cursors,
    IClusterMembershipService membership,
    IOptions<QueryOptions> options,
    ILogger<QueryGrain> logger) : Grain, IQueryGrain
{
    /// <summary>
    /// The most keys an owner sends for one page (offset + limit + 1). A deeper page would cost each
    /// owner that many keys and the merge as many steps, while one statement here only walks an
    /// index: such a page is read directly (see docs/architecture.md for the measurements).
    /// </summary>
    public const int MaxMergedKeys = 2_000;

    /// <summary>The most entries one read of the committed log returns.</summary>
    public const int MaxLogSlice = 1_000;

    public async Task<AuditPage> QueryAsync(AccessScope scope, AuditQuery query, CancellationToken cancellationToken)
    {
        // From here on the scope is one more condition of every statement this read builds (AuditFilters).
        query = query with { Scope = scope };
        if (query.Cursor is not null && query.Offset > 0)
        {
            throw new AuditValidationException("cursor", "Validation error: give 'cursor' or 'offset', not both: a cursor already says where its page starts");
        }

        if (!cursors.IsReady || !partitions.IsReady)
        {
            throw new ArgusUnavailableException("the silo is starting");
        }

        var after = query.Cursor is { } cursor ? cursors.Decode(cursor, query) : (OrderKey?)null;
        var count = query.IncludeTotal ?? after is null;
        var (logs, more, total) = await ReadAsync(() => ReadPageAsync(query, after, count, cancellationToken));
        var next = more && logs.Count > 0 ? cursors.Encode(OrderKey.Of(logs[^1]), query) : null;
        return new AuditPage(logs, total, query.Limit, query.Offset, next);
    }

    public async Task<AuditEntry?> FindAsync(AccessScope scope, Guid id, CancellationToken cancellationToken) =>
        (await ReadAsync(() => store.FindAsync([id], scope, cancellationToken))).GetValueOrDefault(id);

    public Task<TraceTimeline?> GetTraceAsync(AccessScope scope, Guid traceId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(() => reports.TraceAsync(scope, traceId, limit, cancellationToken));

    public Task<AuditStats> GetStatsAsync(AccessScope scope, AuditStatsQuery query, CancellationToken cancellationToken) =>
        ReadAsync(() => reports.StatsAsync(scope, query, cancellationToken));

    public Task<EventTypeList> GetEventTypesAsync(AccessScope scope, CancellationToken cancellationToken) =>
        ReadAsync(() => reports.EventTypesAsync(scope, cancellationToken));

    public Task<ResourceTypeList> GetResourceTypesAsync(AccessScope scope, CancellationToken cancellationToken) =>
        ReadAsync(() => reports.ResourceTypesAsync(scope, cancellationToken));

    public Task<long[]> GetLogHeadsAsync(CancellationToken cancellationToken) =>
        ReadAsync(() => log.ReadHeadsAsync(cancellationToken));

    public Task<Abstractions.Streaming.LogSlice> ReadLogAsync(AccessScope scope, int partition, long after, long upTo, int limit, CancellationToken cancellationToken) =>
        ReadAsync(() => log.ReadAsync(partition, after, upTo, Math.Clamp(limit, 1, MaxLogSlice), scope.Tenant, cancellationToken));

    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (!partitions.IsReady)
        {
            return new HealthReport(false, "the silo is starting");
        }

        Dictionary<int, string?> owners;
        try
        {
            owners = await store.ReadOwnersAsync(cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e))
        {
            return new HealthReport(false, "Postgres is unreachable: " + e.Message);
        }

        var active = ActiveSilos().Select(s => s.ToParsableString()).ToHashSet(StringComparer.Ordinal);
        var unowned = owners.Count(o => o.Value is null || !active.Contains(o.Value));
        return unowned == 0 ? HealthReport.Ok : new HealthReport(false, $"{unowned} of {owners.Count} partitions have no owner on an active silo");
    }

    public Task<int> GetPartitionCountAsync() =>
        partitions.IsReady ? Task.FromResult(partitions.PartitionCount) : throw new ArgusUnavailableException("the silo is starting");

    /// <summary>
    /// Runs a read; Postgres unreachable (or past its command timeout) becomes
    /// <see cref="ArgusUnavailableException"/>. The driver's exception is logged here and not
    /// passed on: the answer may cross to another process, and Npgsql's exceptions do not serialise.
    /// </summary>
    private async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (StorageFailures.IsUnavailable(e))
        {
            LogReadFailed(e);
            throw new ArgusUnavailableException(StorageFailures.DescribeRead(e));
        }
    }

    private async Task<(List<AuditEntry> Logs, bool More, long? Total)> ReadPageAsync(
        AuditQuery query, OrderKey? after, bool count, CancellationToken cancellationToken)
    {
        // A trace's entries all live in its partition: only that partition's owner matters.
        int[] relevant = query.TraceId is { } trace
            ? [PartitionHash.PartitionOf(trace, partitions.PartitionCount)]
            : Enumerable.Range(0, partitions.PartitionCount).ToArray();
        var merged = (long)query.Offset + query.Limit + 1;
        var direct = new List<int>();
        var remote = new Dictionary<SiloAddress, List<int>>();
        if (options.Value.Plan == QueryPlan.FanOut && merged <= MaxMergedKeys && !relevant.All(partitions.IsOwned))
        {
            var owners = OwnersByAssignment();
            foreach (var partition in relevant)
            {
                if (!partitions.IsOwned(partition) && owners.TryGetValue(partition, out var owner))
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
        var asked = remote.Select(r => (Owner: r.Key, Partitions: r.Value, Answer: AskOwnerAsync(ask with { Partitions = r.Value }, cancellationToken))).ToList();
        var unanswered = new List<int>();
        foreach (var (owner, owned, answer) in asked)
        {
            if (await answer is { } rows)
            {
                answers.Add(rows);
            }
            else
            {
                LogReadDirectly(owner, owned.Count);
                unanswered.AddRange(owned);
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

    /// <summary>
    /// Asks the owner of the first of <paramref name="query"/>'s partitions for all of them; null when it
    /// did not answer in time, failed, or does not own every one of them (this silo reads them itself).
    /// </summary>
    private async Task<PartitionRows?> AskOwnerAsync(PartitionQuery query, CancellationToken cancellationToken)
    {
        try
        {
            return await GrainFactory.GetGrain<IPartitionGrain>(query.Partitions[0])
                .ReadOwnedAsync(query, cancellationToken)
                .WaitAsync(options.Value.OwnerTimeout, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Partition -> the active silo the partition assignment gives it.</summary>
    private Dictionary<int, SiloAddress> OwnersByAssignment()
    {
        var silos = ActiveSilos();
        var owners = PartitionAssignment.Assign(partitions.PartitionCount, silos.Select(s => s.ToParsableString()).ToList());
        return owners.Select((silo, partition) => (partition, silo)).ToDictionary(o => o.partition, o => silos[o.silo]);
    }

    private List<SiloAddress> ActiveSilos() =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A read failed: Postgres is unavailable")]
    private partial void LogReadFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Owner} gave no answer for {Partitions} partitions (not in time, failed, or no longer their owner); read them from Postgres")]
    private partial void LogReadDirectly(SiloAddress owner, int partitions);
}
