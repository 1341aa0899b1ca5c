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
    /// A tenant's distinct event types: read from its own entries (the partial index on
    /// <c>tenant_id</c>), so the cost grows with the tenant's entries rather than with its types.
    /// </summary>
    internal const string TenantEventTypesSql =
        "SELECT event_type FROM (SELECT DISTINCT event_type FROM audit_logs WHERE tenant_id = $2 AND event_type IS NOT NULL) t ORDER BY event_type LIMIT $1 + 1";

    /// <summary>
    /// The distinct event types by a loose index scan: each step jumps to the next larger value in
    /// <c>audit_logs_event</c>, so the cost is one index descent per distinct type, never a scan of
    /// the table. Stops after <c>$1</c> types plus one, which tells whether there are more.
    /// </summary>
    internal const string EventTypesSql = """
        WITH RECURSIVE types (event_type, n) AS (
            (SELECT event_type, 1 FROM audit_logs WHERE event_type IS NOT NULL ORDER BY event_type LIMIT 1)
            UNION ALL
            SELECT (SELECT a.event_type FROM audit_logs a WHERE a.event_type > t.event_type ORDER BY a.event_type LIMIT 1), t.n + 1
              FROM types t
             WHERE t.event_type IS NOT NULL AND t.n <= $1
        )
        SELECT event_type FROM types WHERE event_type IS NOT NULL
        """;

    /// <summary>Bits of <c>GROUPING(status, event_type, actor_type, event_action)</c>: a set bit marks a column not grouped in that row.</summary>
    private const int ByStatus = 0b0111, ByEventType = 0b1011, ByActorType = 0b1101, ByEventAction = 0b1110, Total = 0b1111;

    /// <summary>
    /// Every count of a statistics report in one statement: the grouping sets are aggregated side by
    /// side (hashed; their groups are few), not by re-reading the rows per breakdown. Without a
    /// tenant the rows are the maintained counts (whole hours of the range, or all time) and the
    /// entries of the range's partial hours; with one they are the tenant's entries in the range.
    /// </summary>
    internal static AuditSql StatsSql(AccessScope scope, AuditStatsQuery query) => AuditQuerySql.CountsBy(
        "status, event_type, actor_type, event_action",
        new AuditQuery { Since = query.Since, Until = query.Until, TenantId = query.TenantId, Scope = scope },
        "GROUPING SETS ((status), (event_type), (actor_type), (event_action), ())");

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
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var count = reader.GetInt64(5);
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
                case Total:
                    total = count;
                    break;
            }
        }

        var eventTypes = byEventType
            .OrderByDescending(t => t.Count).ThenBy(t => t.Type, StringComparer.Ordinal)
            .Take(ReportLimits.MaxEventTypes)
            .ToDictionary(t => t.Type, t => t.Count, StringComparer.Ordinal);
        return new AuditStats(total, query.Since, query.Until, byStatus, eventTypes, byActorType, byEventAction,
            EventTypesTruncated: byEventType.Count > ReportLimits.MaxEventTypes, query.TenantId ?? scope.Tenant);
    }

    /// <summary>The distinct event types stored, in ordinal order, by a loose scan of their index.</summary>
    public async Task<EventTypeList> EventTypesAsync(AccessScope scope, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(scope.Tenant is null ? EventTypesSql : TenantEventTypesSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ReportLimits.MaxEventTypes });
        if (scope.Tenant is { } tenant)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        }

        var types = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            types.Add(reader.GetString(0));
        }

        var truncated = types.Count > ReportLimits.MaxEventTypes;
        if (truncated)
        {
            types.RemoveAt(types.Count - 1);
        }

        types.Sort(StringComparer.Ordinal);
        return new EventTypeList(types, truncated);
    }

    /// <summary>Every name of a closed vocabulary with a zero count, in wire order, so a breakdown always lists them all.</summary>
    private static Dictionary<string, long> Zeroes(string[] names) => names.ToDictionary(n => n, _ => 0L, StringComparer.Ordinal);
}
