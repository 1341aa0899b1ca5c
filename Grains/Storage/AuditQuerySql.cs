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
        "source, tenant_id, request_id, ip_address, user_agent, http_method, http_path, http_status, latency_ms";

    private const string KeyColumns = "occurred_at, id";

    /// <summary>The matches of <paramref name="read"/>, newest first: entries or their keys, after its position, LIMIT take OFFSET offset.</summary>
    public static AuditSql Page(PageRead read)
    {
        var sql = new StringBuilder("SELECT ").Append(read.KeysOnly ? KeyColumns : EntryColumns).Append(" FROM audit_logs");
        var parameters = Where(sql, read.Filters, read.Partitions, read.After);
        parameters.Add(new NpgsqlParameter<int> { TypedValue = read.Take });
        sql.Append(" ORDER BY occurred_at DESC, id DESC LIMIT $").Append(parameters.Count);
        parameters.Add(new NpgsqlParameter<int> { TypedValue = read.Offset });
        sql.Append(" OFFSET $").Append(parameters.Count);
        return new AuditSql(sql.ToString(), parameters);
    }

    /// <summary>The number of all matches of <paramref name="read"/>'s filters in its partitions: the same conditions, no position, no order, no limit.</summary>
    public static AuditSql Count(PageRead read)
    {
        if (AuditFilters.Of(read.Filters).All(f => f.Value is null))
        {
            // Unfiltered: every partition's sequence is gap-free from 1 and moves with its rows in one
            // statement (argus_append), so the rows stored are the sum of the partitions' last
            // positions. Exact, and one row per partition instead of every entry.
            var all = new StringBuilder("SELECT coalesce(sum(last_seq), 0)::bigint FROM argus_partitions");
            var partitions = Where(all, read.Filters, read.Partitions, after: null);
            return new AuditSql(all.ToString(), partitions);
        }

        var sql = new StringBuilder("SELECT count(*) FROM audit_logs");
        var parameters = Where(sql, read.Filters, read.Partitions, after: null);
        return new AuditSql(sql.ToString(), parameters);
    }

    /// <summary><paramref name="select"/> over the rows matching <paramref name="filters"/>, then <paramref name="tail"/> (grouping, order).</summary>
    public static AuditSql Filtered(string select, AuditQuery filters, string tail)
    {
        var sql = new StringBuilder(select);
        var parameters = Where(sql, filters, partitions: null, after: null);
        return new AuditSql(sql.Append(tail).ToString(), parameters);
    }

    private static List<NpgsqlParameter> Where(StringBuilder sql, AuditQuery filters, IReadOnlyCollection<int>? partitions, OrderKey? after)
    {
        var parameters = new List<NpgsqlParameter>();
        void Condition(Func<string, string> condition, params NpgsqlParameter[] values)
        {
            parameters.AddRange(values);
            var first = parameters.Count - values.Length + 1;
            sql.Append(first == 1 ? " WHERE " : " AND ").Append(condition("$" + first));
        }

        foreach (var (condition, value) in AuditFilters.Of(filters))
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

        return parameters;
    }
}
