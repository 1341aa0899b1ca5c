using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions.Validation;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// The statements behind the reports: a trace as a timeline, counts over a time range, and the
/// vocabulary of event types. Each is one round trip, and each reads through an index shaped for
/// it (the plans are checked in the tests), so a report costs what it returns, not the table.
/// </summary>
public sealed class AuditReportStore(NpgsqlDataSource dataSource)
{
    /// <summary>The trace's first entries, oldest first: a forward walk of <c>audit_logs_trace (trace_id, occurred_at, id)</c>, no sort.</summary>
    internal const string TraceEntriesSql =
        $"SELECT {AuditQuerySql.EntryColumns} FROM audit_logs WHERE trace_id = $1 ORDER BY occurred_at, id LIMIT $2";

    /// <summary>The whole trace summarised, through the same index. Actor ids are compared bytewise so the list is the same under any collation.</summary>
    internal const string TraceSummarySql =
        "SELECT count(*), min(occurred_at), max(occurred_at), count(*) FILTER (WHERE status = 'FAILURE'), " +
        "count(DISTINCT actor_id), (array_agg(DISTINCT actor_id COLLATE \"C\" ORDER BY actor_id COLLATE \"C\"))[1:$2] " +
        "FROM audit_logs WHERE trace_id = $1";

    /// <summary>The same two for a caller bound to a tenant (<c>$3</c>): the trace's entries of that tenant only.</summary>
    internal const string TenantTraceEntriesSql =
        $"SELECT {AuditQuerySql.EntryColumns} FROM audit_logs WHERE trace_id = $1 AND tenant_id = $3 ORDER BY occurred_at, id LIMIT $2";

    internal const string TenantTraceSummarySql = TraceSummarySql + " AND tenant_id = $3";

    /// <summary>
    /// A tenant's distinct values of <c>{0}</c>: read from its own entries (the partial index on
    /// <c>tenant_id</c>), so the cost grows with the tenant's entries rather than with its values.
    /// </summary>
    private const string TenantDistinctSql =
        "SELECT {0} FROM (SELECT DISTINCT {0} FROM audit_logs WHERE tenant_id = $2 AND {0} IS NOT NULL) t ORDER BY {0} LIMIT $1 + 1";

    /// <summary>
    /// The distinct values of <c>{0}</c> by a loose index scan: each step jumps to the next larger
    /// value in the column's index, so the cost is one index descent per distinct value, never a
    /// scan of the table. Stops after <c>$1</c> values plus one, which tells whether there are more.
    /// </summary>
    private const string DistinctSql = """
        WITH RECURSIVE v (value, n) AS (
            (SELECT {0}, 1 FROM audit_logs WHERE {0} IS NOT NULL ORDER BY {0} LIMIT 1)
            UNION ALL
            SELECT (SELECT a.{0} FROM audit_logs a WHERE a.{0} > v.value ORDER BY a.{0} LIMIT 1), v.n + 1
              FROM v
             WHERE v.value IS NOT NULL AND v.n <= $1
        )
        SELECT value FROM v WHERE value IS NOT NULL
        """;

    /// <summary>Distinct event types, through <c>audit_logs_event</c>.</summary>
    internal static readonly string EventTypesSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, DistinctSql, "event_type");

    internal static readonly string TenantEventTypesSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, TenantDistinctSql, "event_type");

    /// <summary>Distinct resource types, through <c>audit_logs_resource_type</c>.</summary>
    internal static readonly string ResourceTypesSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, DistinctSql, "resource_type");

    internal static readonly string TenantResourceTypesSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, TenantDistinctSql, "resource_type");

    /// <summary>Bits of <c>GROUPING(status, event_type, actor_type, event_action, resource_type)</c>: a set bit marks a column not grouped in that row.</summary>
    private const int ByStatus = 0b01111, ByEventType = 0b10111, ByActorType = 0b11011, ByEventAction = 0b11101, ByResourceType = 0b11110, Total = 0b11111;

    /// <summary>
    /// Every count of a statistics report in one statement: the grouping sets are aggregated side by
    /// side (hashed; their groups are few), not by re-reading the rows per breakdown. Without a
    /// tenant the rows are the maintained counts (whole hours of the range, or all time) and the
    /// entries of the range's partial hours; with one they are the tenant's entries in the range.
    /// </summary>
    internal static AuditSql StatsSql(AccessScope scope, AuditStatsQuery query) => AuditQuerySql.CountsBy(
        "status, event_type, actor_type, event_action, resource_type",
        new AuditQuery { Since = query.Since, Until = query.Until, TenantId = query.TenantId, Scope = scope },
        "GROUPING SETS ((status), (event_type), (actor_type), (event_action), (resource_type), ())");

    /// <summary>The trace's first <paramref name="limit"/> entries and its summary in one round trip; null when the trace has no entry.</summary>
    public async Task<TraceTimeline?> TraceAsync(AccessScope scope, Guid traceId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var entries = new NpgsqlBatchCommand(scope.Tenant is null ? TraceEntriesSql : TenantTraceEntriesSql);
        entries.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = traceId });
        entries.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var summary = new NpgsqlBatchCommand(scope.Tenant is null ? TraceSummarySql : TenantTraceSummarySql);
        summary.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = traceId });
        summary.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ReportLimits.MaxTraceActors });
        if (scope.Tenant is { } tenant)
        {
            entries.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            summary.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        }

        batch.BatchCommands.Add(entries);
        batch.BatchCommands.Add(summary);

        var logs = new List<AuditEntry>(Math.Min(limit, 256));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            logs.Add(AuditStore.ReadEntry(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = reader.GetInt64(0);
        if (count == 0)
        {
            return null;
        }

        var first = new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero);
        var last = new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero);
        var failures = reader.GetInt64(3);
        var traceSummary = new TraceSummary(
            EntryCount: count,
            FirstTimestamp: first,
            LastTimestamp: last,
            DurationMs: (last - first).Ticks / (double)TimeSpan.TicksPerMillisecond,
            SuccessCount: count - failures,
            FailureCount: failures,
            Outcome: failures > 0 ? AuditStatus.Failure : AuditStatus.Success,
            ActorCount: reader.GetInt64(4),
            Actors: reader.GetFieldValue<string[]>(5));
        return new TraceTimeline(traceId, traceSummary, logs, limit, Truncated: count > logs.Count);
    }

    /// <summary>Counts of the entries in the query's range, from one statement.</summary>
    public async Task<AuditStats> StatsAsync(AccessScope scope, AuditStatsQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = StatsSql(scope, query).ToCommand(connection);
        long total = 0;
        var byStatus = Zeroes(WireNames.Statuses);
        var byActorType = Zeroes(WireNames.ActorTypes);
        var byEventAction = Zeroes(WireNames.EventActions);
        var byEventType = new List<(string Type, long Count)>();
        var byResourceType = new List<(string Type, long Count)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var count = reader.GetInt64(6);
            switch (reader.GetInt32(0))
            {
                case ByStatus:
                    byStatus[reader.GetString(1)] = count;
                    break;
                case ByEventType when !reader.IsDBNull(2):
                    byEventType.Add((reader.GetString(2), count));
                    break;
                case ByActorType:
                    byActorType[reader.GetString(3)] = count;
                    break;
                case ByEventAction when !reader.IsDBNull(4):
                    byEventAction[reader.GetString(4)] = count;
                    break;
                case ByResourceType when !reader.IsDBNull(5):
                    byResourceType.Add((reader.GetString(5), count));
                    break;
                case Total:
                    total = count;
                    break;
            }
        }

        return new AuditStats(total, query.Since, query.Until, byStatus, MostFrequent(byEventType), byActorType, byEventAction,
            EventTypesTruncated: byEventType.Count > ReportLimits.MaxEventTypes, query.TenantId ?? scope.Tenant)
        {
            ByResourceType = MostFrequent(byResourceType),
            ResourceTypesTruncated = byResourceType.Count > ReportLimits.MaxEventTypes,
        };
    }

    /// <summary>An open vocabulary's counts, most frequent first (ties in ordinal order), at most <see cref="ReportLimits.MaxEventTypes"/>.</summary>
    private static Dictionary<string, long> MostFrequent(List<(string Type, long Count)> counts) => counts
        .OrderByDescending(t => t.Count).ThenBy(t => t.Type, StringComparer.Ordinal)
        .Take(ReportLimits.MaxEventTypes)
        .ToDictionary(t => t.Type, t => t.Count, StringComparer.Ordinal);

    /// <summary>The distinct event types stored, in ordinal order, by a loose scan of their index.</summary>
    public async Task<EventTypeList> EventTypesAsync(AccessScope scope, CancellationToken cancellationToken)
    {
        var (types, truncated) = await DistinctAsync(scope.Tenant is null ? EventTypesSql : TenantEventTypesSql, scope, cancellationToken);
        return new EventTypeList(types, truncated);
    }

    /// <summary>The distinct resource types stored, in ordinal order, by a loose scan of their index.</summary>
    public async Task<ResourceTypeList> ResourceTypesAsync(AccessScope scope, CancellationToken cancellationToken)
    {
        var (types, truncated) = await DistinctAsync(scope.Tenant is null ? ResourceTypesSql : TenantResourceTypesSql, scope, cancellationToken);
        return new ResourceTypeList(types, truncated);
    }

    private async Task<(List<string> Values, bool Truncated)> DistinctAsync(string sql, AccessScope scope, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ReportLimits.MaxEventTypes });
        if (scope.Tenant is { } tenant)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        }

        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        var truncated = values.Count > ReportLimits.MaxEventTypes;
        if (truncated)
        {
            values.RemoveAt(values.Count - 1);
        }

        values.Sort(StringComparer.Ordinal);
        return (values, truncated);
    }

    /// <summary>Every name of a closed vocabulary with a zero count, in wire order, so a breakdown always lists them all.</summary>
    private static Dictionary<string, long> Zeroes(string[] names) => names.ToDictionary(n => n, _ => 0L, StringComparer.Ordinal);
}
