using System.Text.Json;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Grains.Tests;

/// <summary>
/// The statements Argus runs, as <see cref="AuditQuerySql"/> builds them, EXPLAINed on a table
/// with realistic statistics: a page (first, after a cursor, for some partitions, keys only) is
/// an index walked backwards that stops after the page, never a sort of every match; a count
/// reads an index alone, not the table, where the index covers its conditions.
/// </summary>
public sealed class QueryPlanTests(QueryPlanTests.Data data) : IClassFixture<QueryPlanTests.Data>
{
    /// <summary>An entry in the middle of the table: a cursor's position.</summary>
    private static readonly OrderKey Middle = OrderKey.Of(new DateTime(2024, 1, 1, 5, 33, 20, DateTimeKind.Utc), Guid.Parse("01890000-0000-7000-8000-000000000000"));

    /// <summary>Filters and the indexes whose order may serve them: their own, or the time index with the filter applied on the way.</summary>
    public static TheoryData<string, string[]> Filters => new()
    {
        { "", ["audit_logs_occurred"] },
        { "trace", ["audit_logs_trace"] },
        { "event_type", ["audit_logs_event", "audit_logs_occurred"] },
        { "actor_id", ["audit_logs_actor", "audit_logs_occurred"] },
        { "target_id", ["audit_logs_target", "audit_logs_occurred"] },
        { "status", ["audit_logs_status", "audit_logs_occurred"] },
        { "actor_id+event_action", ["audit_logs_actor", "audit_logs_occurred"] },
        { "since", ["audit_logs_occurred"] },
        { "tenant", ["audit_logs_tenant"] },
        { "tenant+status", ["audit_logs_tenant"] },
        { "request", ["audit_logs_request"] },
        { "ip", ["audit_logs_ip"] },
        { "partner", ["audit_logs_partner"] },
        { "partner+status", ["audit_logs_partner"] },
        { "actor_email", ["audit_logs_actor_email"] },
        { "resource_type", ["audit_logs_resource_type"] },
    };

    /// <summary>
    /// Filters whose matches are few in this table (a few hundred): sorting them is a fair plan for
    /// a part of the partitions, so only whole-table pages are checked, where the index must win.
    /// </summary>
    public static TheoryData<string, string[]> WholeTableFilters
    {
        get
        {
            var filters = Filters;
            filters.Add("event_type+failure", ["audit_logs_event_failures"]);
            return filters;
        }
    }

    [Theory]
    [MemberData(nameof(WholeTableFilters))]
    public async Task A_first_page_walks_an_index_backwards_and_stops(string filter, string[] indexes)
    {
        var plan = await ExplainAsync(AuditQuerySql.Page(Read(filter)));

        AssertTopK(plan, indexes);
    }

    [Theory]
    [MemberData(nameof(WholeTableFilters))]
    public async Task A_cursor_page_starts_at_the_cursor_on_the_same_index(string filter, string[] indexes)
    {
        var plan = await ExplainAsync(AuditQuerySql.Page(Read(filter) with { After = Middle }));

        var scans = AssertTopK(plan, indexes);
        // The position bounds the index walk itself (an index condition), not a filter on rows already read.
        Assert.All(scans, scan => Assert.Contains("occurred_at", scan.GetProperty("Index Cond").GetString(), StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task A_page_of_some_partitions_walks_the_same_index(string filter, string[] indexes)
    {
        var plan = await ExplainAsync(AuditQuerySql.Page(Read(filter) with { Partitions = [1, 4, 6] }));

        AssertTopK(plan, indexes);
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task A_page_of_keys_for_a_merge_walks_the_same_index(string filter, string[] indexes)
    {
        var plan = await ExplainAsync(AuditQuerySql.Page(Read(filter) with { Partitions = [0, 3, 5], After = Middle, KeysOnly = true }));

        AssertTopK(plan, indexes);
    }

    [Fact]
    public void The_page_of_a_node_owning_every_partition_is_the_plain_statement()
    {
        var sql = AuditQuerySql.Page(Read("event_type"));

        Assert.Equal(
            "SELECT " + AuditQuerySql.EntryColumns + " FROM audit_logs WHERE event_type = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2 OFFSET $3",
            sql.Text);
        Assert.Equal(["USER_MANAGEMENT", 101, 0], sql.Parameters.Select(p => p.Value));
    }

    [Theory]
    [InlineData("trace", "audit_logs_trace")]
    [InlineData("actor_id", "audit_logs_actor")]
    [InlineData("target_id", "audit_logs_target")]
    [InlineData("tenant", "audit_logs_tenant")]
    [InlineData("partner", "audit_logs_partner")]
    [InlineData("actor_email", "audit_logs_actor_email")]
    public async Task A_count_the_maintained_counts_do_not_cover_reads_an_index_alone(string filter, string? index)
    {
        var sql = AuditQuerySql.Count(Read(filter).Filters);
        Assert.DoesNotContain("ORDER", sql.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("LIMIT", sql.Text, StringComparison.Ordinal);

        var plan = await ExplainAsync(sql, analyze: true);

        var nodes = Nodes(plan).ToList();
        Assert.DoesNotContain(nodes, n => Type(n) is "Sort" or "Incremental Sort" or "Limit");
        var scans = nodes.Where(n => n.TryGetProperty("Index Name", out _)).ToList();
        Assert.All(scans, scan => Assert.True(Type(scan) == "Index Only Scan" && (index is null || ParentIndex(scan) == index), plan.ToString()));
        Assert.All(scans, scan => Assert.Equal(0, scan.GetProperty("Heap Fetches").GetInt64()));
        Assert.True(scans.Sum(scan => scan.GetProperty("Actual Rows").GetDouble()) > 0, plan.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_unfiltered_count_sums_the_partitions_positions_without_reading_entries(bool somePartitions)
    {
        var read = somePartitions ? Read("") with { Partitions = [1, 4, 6] } : Read("");
        var sql = AuditQuerySql.Count(read.Filters, read.Partitions);

        var plan = await ExplainAsync(sql, analyze: true);

        Assert.DoesNotContain(Nodes(plan), IsLog);
        await using var connection = new NpgsqlConnection(data.Database.ConnectionString);
        await connection.OpenAsync();
        await using var count = sql.ToCommand(connection);
        var direct = somePartitions ? "SELECT count(*) FROM audit_logs WHERE partition_id = ANY('{1,4,6}')" : "SELECT count(*) FROM audit_logs";
        Assert.Equal(await data.Database.ScalarAsync<long>(direct), (long)(await count.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData("event_type")]
    [InlineData("status")]
    [InlineData("event_type+failure")]
    [InlineData("resource_type")]
    [InlineData("since")]
    public async Task A_total_the_maintained_counts_cover_reads_no_entry_when_its_range_is_whole_hours(string filter)
    {
        var plan = await ExplainAsync(AuditQuerySql.Count(Read(filter).Filters), analyze: true);

        Assert.DoesNotContain(Nodes(plan), IsLog);
        Assert.Contains(Nodes(plan), n => Relation(n) is "audit_counts_total" or "audit_counts_hourly");
    }

    /// <summary>02:10 to 05:50: 13,200 entries, of which 6,000 in the partial hours at its ends.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("event_type+failure")]
    [InlineData("status")]
    public async Task A_total_over_a_range_reads_entries_only_in_the_partial_hours_at_its_ends(string filter)
    {
        var read = Read(filter);
        var day = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        read = read with { Filters = read.Filters with { Since = day.AddMinutes(130), Until = day.AddMinutes(350) } };

        var plan = await ExplainAsync(AuditQuerySql.Count(read.Filters, read.Partitions), analyze: true);

        var entries = Nodes(plan).Where(IsLog).ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, n => Assert.True(Type(n) is "Index Scan" or "Index Only Scan" or "Bitmap Heap Scan", plan.ToString()));
        var rowsRead = entries.Sum(n => Rows(n, "Actual Rows") + Rows(n, "Rows Removed by Filter") + Rows(n, "Rows Removed by Index Recheck"));
        Assert.True(rowsRead <= 6_000, plan.ToString());
        Assert.Contains(Nodes(plan), n => Relation(n) == "audit_counts_hourly");
    }

    private static string? Relation(JsonElement node) => node.TryGetProperty("Relation Name", out var r) ? r.GetString() : null;

    private static double Rows(JsonElement node, string property) => node.TryGetProperty(property, out var rows) ? rows.GetDouble() : 0;

    private static PageRead Read(string filter) => new(
        filter switch
        {
            "trace" => new AuditQuery { TraceId = Data.SomeTrace },
            "event_type" => new AuditQuery { EventType = "USER_MANAGEMENT" },
            "actor_id" => new AuditQuery { ActorId = "actor-3" },
            "target_id" => new AuditQuery { TargetId = "target-3" },
            "status" => new AuditQuery { Status = AuditStatus.Failure },
            "event_type+failure" => new AuditQuery { EventType = "USER_MANAGEMENT", Status = AuditStatus.Failure },
            "actor_id+event_action" => new AuditQuery { ActorId = "actor-3", EventAction = EventAction.Read },
            "since" => new AuditQuery { Since = new DateTimeOffset(2024, 1, 1, 2, 0, 0, TimeSpan.Zero) },
            "tenant" => new AuditQuery { TenantId = "tenant-3" },
            "tenant+status" => new AuditQuery { TenantId = "tenant-3", Status = AuditStatus.Success },
            "request" => new AuditQuery { RequestId = "req-123" },
            "ip" => new AuditQuery { IpAddress = "10.0.0.42" },
            "partner" => new AuditQuery { PartnerId = "partner-1" },
            "partner+status" => new AuditQuery { PartnerId = "partner-1", Status = AuditStatus.Success },
            "actor_email" => new AuditQuery { ActorEmail = "user-3@example.com" },
            "resource_type" => new AuditQuery { ResourceType = "Incident" },
            _ => new AuditQuery(),
        },
        Partitions: null,
        After: null,
        Offset: 0,
        Take: 101,
        KeysOnly: false,
        Count: false);

    /// <summary>
    /// A Limit over backward scans of one of <paramref name="indexes"/> (one per month of the log,
    /// appended in time order), with no sort of the matches; returns the scans. Where the planner
    /// expects the matches to fit in one page (a trace, an address), sorting them is the same top-k
    /// and is accepted.
    /// </summary>
    private List<JsonElement> AssertTopK(JsonElement plan, string[] indexes)
    {
        var nodes = Nodes(plan).ToList();
        Assert.True(Type(plan) == "Limit", plan.ToString());
        Assert.All(
            nodes.Where(n => Type(n) is "Sort" or "Incremental Sort"),
            sort => Assert.True(Rows(sort, "Plan Rows") <= 101, plan.ToString()));
        var scans = nodes.Where(n => Type(n) is "Index Scan" or "Index Only Scan").ToList();
        Assert.NotEmpty(scans);
        var sorted = nodes.Any(n => Type(n) is "Sort" or "Incremental Sort");
        Assert.All(scans, scan => Assert.True(
            (sorted || scan.GetProperty("Scan Direction").GetString() == "Backward") && indexes.Contains(ParentIndex(scan)),
            plan.ToString()));
        return scans;
    }

    /// <summary>The index of <c>audit_logs</c> a month's index was made from (its own name otherwise).</summary>
    private string ParentIndex(JsonElement scan)
    {
        var name = scan.GetProperty("Index Name").GetString()!;
        return data.IndexParents.TryGetValue(name, out var parent) ? parent : name;
    }

    /// <summary>A scan of the log: of <c>audit_logs</c> or one of its months.</summary>
    private static bool IsLog(JsonElement node) => Relation(node) is { } r && (r == "audit_logs" || r.StartsWith("audit_logs_", StringComparison.Ordinal));

    private async Task<JsonElement> ExplainAsync(AuditSql sql, bool analyze = false)
    {
        await using var connection = new NpgsqlConnection(data.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = (sql with { Text = (analyze ? "EXPLAIN (ANALYZE, FORMAT JSON) " : "EXPLAIN (FORMAT JSON) ") + sql.Text }).ToCommand(connection);
        var json = (string)(await command.ExecuteScalarAsync())!;
        return JsonDocument.Parse(json).RootElement[0].GetProperty("Plan").Clone();
    }

    private static string? Type(JsonElement node) => node.GetProperty("Node Type").GetString();

    private static IEnumerable<JsonElement> Nodes(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray().SelectMany(Nodes))
            {
                yield return child;
            }
        }
    }

    /// <summary>
    /// 40,000 plausible rows (4,000 traces of 10, a handful of event types, 5 busy actors, 7
    /// targets), vacuumed and analysed: each filter matches thousands of rows, as in production,
    /// where sorting them all for one page would cost.
    /// </summary>
    public sealed class Data : IAsyncLifetime
    {
        public static readonly Guid SomeTrace = Guid.Parse("00000000-0000-4000-8000-0000000003e7");

        private readonly MigratedDatabase database = new();

        public TestDatabase Database => database.Database;

        /// <summary>Each month's index -> the index of <c>audit_logs</c> it was made from.</summary>
        public Dictionary<string, string> IndexParents { get; } = [];

        public async Task InitializeAsync()
        {
            await database.InitializeAsync();

            // A synchronous commit: VACUUM marks pages all-visible only once the inserting commit is
            // flushed, and the test server commits asynchronously by default.
            await Database.ExecuteAsync($"""
                SET synchronous_commit = on;
                SELECT argus_ensure_months('2024-01-01', '2024-01-02');
                INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id,
                                        target_type, target_id, request_metadata, response_metadata, created_at, partition_id, seq,
                                        tenant_id, source, request_id, ip_address, user_agent, http_method, http_path, http_status, latency_ms,
                                        partner_id, actor_email, resource_type, role, namespace, user_id, node_ip, error_message)
                SELECT gen_random_uuid(),
                       ('00000000-0000-4000-8000-' || lpad(to_hex(g / 10), 12, '0'))::uuid,
                       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + (g % 7) * interval '1 millisecond',
                       (ARRAY['MANAGEMENT_EVENT', 'USER_MANAGEMENT', 'DATA_FETCH', 'LOGIN', 'POLICY_CHANGE', 'EXPORT'])[1 + g % 6],
                       (ARRAY['CREATE', 'READ', 'UPDATE', 'DELETE'])[1 + g % 4],
                       CASE WHEN g % 13 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
                       (ARRAY['SERVICE', 'ADMIN', 'MEMBER', 'SYSTEM'])[1 + g % 4],
                       'actor-' || (g % 5),
                       (ARRAY['SERVICE', 'RESOURCE'])[1 + g % 2],
                       'target-' || (g % 7),
                       jsonb_build_object('schemaId', 'schema-' || (g % 50), 'requestedFields', jsonb_build_array('name', 'address')),
                       jsonb_build_object('decision', 'ALLOWED', 'fieldsReturned', g % 5),
                       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + interval '5 milliseconds',
                       g % {MigratedDatabase.PartitionCount},
                       g,
                       -- A quarter of the entries come through a tenant-aware API (5 tenants of 2,000
                       -- entries); those carry the HTTP context, each request id on 5 of them (a fan-out).
                       CASE WHEN g % 4 = 0 THEN 'tenant-' || (g / 4 % 5) END,
                       CASE WHEN g % 4 = 0 THEN 'urn:api-' || (g % 3) END,
                       CASE WHEN g % 4 = 0 THEN 'req-' || (g / 20) END,
                       CASE WHEN g % 4 = 0 THEN ('10.0.' || (g / 1000 % 256) || '.' || (g % 251))::inet END,
                       CASE WHEN g % 4 = 0 THEN 'Mozilla/5.0' END,
                       CASE WHEN g % 4 = 0 THEN (ARRAY['GET', 'POST', 'PUT', 'DELETE'])[1 + g / 4 % 4] END,
                       CASE WHEN g % 4 = 0 THEN '/v1/records/' || (g % 500) END,
                       CASE WHEN g % 4 = 0 THEN (ARRAY[200, 200, 200, 201, 404, 500])[1 + g / 4 % 6] END,
                       CASE WHEN g % 4 = 0 THEN (g % 900) / 3.0 END,
                       -- Filtered fields shaped like the tenant: the tenant-aware quarter names its partner,
                       -- another quarter an actor's e-mail, a third a resource type, each value on 2,000
                       -- entries; the unfiltered fields are on half of them.
                       CASE WHEN g % 4 = 0 THEN 'partner-' || (g / 4 % 5) END,
                       CASE WHEN g % 4 = 2 THEN 'user-' || (g / 4 % 5) || '@example.com' END,
                       CASE WHEN g % 4 = 1 THEN (ARRAY['Approval', 'Incident', 'Remediation', 'Runbook', 'Config'])[1 + g / 4 % 5] END,
                       CASE WHEN g % 2 = 0 THEN 'operator' END,
                       CASE WHEN g % 2 = 0 THEN 'production' END,
                       CASE WHEN g % 2 = 0 THEN g END,
                       CASE WHEN g % 2 = 0 THEN '10.1.0.' || (g % 200) END::inet,
                       CASE WHEN g % 13 = 0 THEN 'failed: ' || g END
                FROM generate_series(0, 39999) AS g
                """);
            // The fences say what argus_append would have left: each partition's last position.
            await Database.ExecuteAsync(
                "UPDATE argus_partitions p SET last_seq = s.n FROM (SELECT partition_id, count(*) AS n FROM audit_logs GROUP BY partition_id) s " +
                "WHERE p.partition_id = s.partition_id");
            await using (var parents = new NpgsqlConnection(Database.ConnectionString))
            {
                await parents.OpenAsync();
                await using var command = new NpgsqlCommand(
                    "SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE c.relkind = 'i'",
                    parents);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    IndexParents[reader.GetString(0)] = reader.GetString(1);
                }
            }

            // Vacuumed as autovacuum would leave it: the visibility map lets an index answer a count alone.
            await Database.ExecuteAsync("VACUUM ANALYZE audit_logs, audit_counts_hourly, audit_counts_total");
            Assert.Equal(0L, await Database.ScalarAsync<long>(
                "SELECT sum(relpages - relallvisible) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE i.inhparent = 'audit_logs'::regclass"));
        }

        public Task DisposeAsync() => database.DisposeAsync();
    }
}
