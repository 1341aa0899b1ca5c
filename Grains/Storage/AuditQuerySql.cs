using System.Text;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Querying;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// The SQL of every read of the audit log, built from <see cref="AuditFilters"/>. The plan tests
/// EXPLAIN exactly these statements.
/// </summary>
/// <remarks>
/// Every index ends in <c>(occurred_at, id)</c>, so the page order is an index order: a page is
/// an index-ordered top-k, a cursor's position <c>(occurred_at, id) &lt; ($t, $id)</c> is a bound
/// on the same index, and a count with the same conditions can be answered from an index alone.
/// The partition predicate appears only when a read covers some partitions, not all.
/// </remarks>
internal static class AuditQuerySql
{
    public const string EntryColumns =
        "id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, target_id, " +
        "request_metadata, response_metadata, additional_metadata, created_at, " +
        "source, tenant_id, request_id, ip_address, user_agent, http_method, http_path, http_status, latency_ms, " +
        "resource_type, partner_id, actor_email, role, namespace, event_group, session_id, correlation_id, user_id, vm_id, " +
        "task_id, node_ip, worker_id, error_message";

    private const string KeyColumns = "occurred_at, id";

    /// <summary>The matches of <paramref name="read"/>, newest first: entries or their keys, after its position, LIMIT take OFFSET offset.</summary>
    public static AuditSql Page(PageRead read)
    {
        var sql = new StringBuilder("SELECT ").Append(read.KeysOnly ? KeyColumns : EntryColumns).Append(" FROM audit_logs");
        var parameters = new List<NpgsqlParameter>();
        Where(sql, parameters, read.Filters, read.Partitions, read.After);
        parameters.Add(new NpgsqlParameter<int> { TypedValue = read.Take });
        sql.Append(" ORDER BY occurred_at DESC, id DESC LIMIT $").Append(parameters.Count);
        parameters.Add(new NpgsqlParameter<int> { TypedValue = read.Offset });
        sql.Append(" OFFSET $").Append(parameters.Count);
        return new AuditSql(sql.ToString(), parameters);
    }

    /// <summary>The number of all matches of <paramref name="filters"/> in <paramref name="partitions"/> (null: all): the page's conditions, no position, no order, no limit.</summary>
    public static AuditSql Count(AuditQuery filters, IReadOnlyCollection<int>? partitions = null)
    {
        var parameters = new List<NpgsqlParameter>();
        if (AuditFilters.Of(filters).All(f => f.Value is null))
        {
            // Unfiltered: every partition's sequence is gap-free from 1 and moves with its rows in one
            // statement (argus_append), so the rows stored are the sum of the partitions' last
            // positions, less those retention removed (argus_removed, moved in the transaction that
            // drops them). Exact, and one row per partition instead of every entry.
            var all = new StringBuilder(
                "SELECT coalesce(sum(last_seq - coalesce(r.entries, 0)), 0)::bigint FROM argus_partitions LEFT JOIN argus_removed r USING (partition_id)");
            Where(all, parameters, filters, partitions);
            return new AuditSql(all.ToString(), parameters);
        }

        if (partitions is null && AuditFilters.AreCounted(filters))
        {
            var counted = new StringBuilder("SELECT coalesce(sum(n), 0)::bigint FROM (");
            CountedRows(counted, parameters, filters, columns: "");
            return new AuditSql(counted.Append(") AS counted").ToString(), parameters);
        }

        var sql = new StringBuilder("SELECT count(*) FROM audit_logs");
        Where(sql, parameters, filters, partitions);
        return new AuditSql(sql.ToString(), parameters);
    }

    /// <summary>
    /// <c>SELECT GROUPING(<paramref name="columns"/>), <paramref name="columns"/>, count</c> of the
    /// entries matching <paramref name="filters"/>, grouped by <paramref name="groups"/>: from the
    /// maintained counts where they cover the filters, from the entries otherwise.
    /// </summary>
    public static AuditSql CountsBy(string columns, AuditQuery filters, string groups)
    {
        var sql = new StringBuilder("SELECT GROUPING(").Append(columns).Append("), ").Append(columns).Append(", coalesce(sum(n), 0)::bigint FROM (");
        var parameters = new List<NpgsqlParameter>();
        CountedRows(sql, parameters, filters, columns + ", ");
        return new AuditSql(sql.Append(") AS counted GROUP BY ").Append(groups).ToString(), parameters);
    }

    /// <summary>
    /// Rows of <c><paramref name="columns"/>n</c> whose <c>n</c> add up, per value of the columns, to
    /// the entries matching <paramref name="filters"/>. Where the maintained counts cover the
    /// filters: the all-time counts for an unbounded range; otherwise the hourly counts of the
    /// range's whole hours, and the entries themselves only in the partial hours at its two ends.
    /// Elsewhere the entries, one row each.
    /// </summary>
    private static void CountedRows(StringBuilder sql, List<NpgsqlParameter> parameters, AuditQuery filters, string columns)
    {
        void Entries(AuditQuery range)
        {
            sql.Append("SELECT ").Append(columns).Append("1 AS n FROM audit_logs");
            Where(sql, parameters, range);
        }

        if (!AuditFilters.AreCounted(filters))
        {
            Entries(filters);
            return;
        }

        var (since, until) = (filters.Since, filters.Until);
        if (since is null && until is null)
        {
            sql.Append("SELECT ").Append(columns).Append("entries AS n FROM audit_counts_total");
            Where(sql, parameters, filters);
            return;
        }

        var first = since is { } s ? HourAtOrAfter(s) : null;
        DateTimeOffset? end = until is { } u ? HourAtOrBefore(u) : null;
        if ((since is not null && first is null) || first >= end)
        {
            // Not one whole hour in the range: its entries are few enough to read.
            Entries(filters);
            return;
        }

        sql.Append("SELECT ").Append(columns).Append("entries AS n FROM audit_counts_hourly");
        Where(sql, parameters, filters with { Since = first, Until = end }, time: "hour");
        if (since < first)
        {
            sql.Append(" UNION ALL ");
            Entries(filters with { Since = since, Until = first });
        }

        if (end < until)
        {
            sql.Append(" UNION ALL ");
            Entries(filters with { Since = end, Until = until });
        }
    }

    private static DateTimeOffset HourAtOrBefore(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    /// <summary>The first whole hour starting at or after <paramref name="time"/>; null past the last one representable.</summary>
    private static DateTimeOffset? HourAtOrAfter(DateTimeOffset time)
    {
        var floor = HourAtOrBefore(time);
        return floor == time ? floor : floor.UtcTicks <= DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerHour ? floor.AddHours(1) : null;
    }

    /// <summary>Appends the conditions of <paramref name="filters"/> (and partitions, position) as one WHERE clause, numbering values after <paramref name="parameters"/>.</summary>
    private static void Where(
        StringBuilder sql,
        List<NpgsqlParameter> parameters,
        AuditQuery filters,
        IReadOnlyCollection<int>? partitions = null,
        OrderKey? after = null,
        string time = "occurred_at")
    {
        var where = true;
        void Condition(Func<string, string> condition, params NpgsqlParameter[] values)
        {
            parameters.AddRange(values);
            sql.Append(where ? " WHERE " : " AND ").Append(condition("$" + (parameters.Count - values.Length + 1)));
            where = false;
        }

        foreach (var (condition, value) in AuditFilters.Of(filters, time))
        {
            if (value is not null)
            {
                Condition(p => condition + " " + p, new NpgsqlParameter { Value = value });
            }
        }

        if (partitions is not null)
        {
            Condition(p => $"partition_id = ANY({p})", new NpgsqlParameter<int[]> { TypedValue = partitions.ToArray() });
        }

        if (after is { } position)
        {
            // One row comparison, not two conditions: it is a single bound on every (x, occurred_at, id) index.
            Condition(
                p => $"(occurred_at, id) < ({p}, ${parameters.Count})",
                new NpgsqlParameter<DateTime> { TypedValue = position.UtcTime },
                new NpgsqlParameter<Guid> { TypedValue = position.Id });
        }
    }
}
