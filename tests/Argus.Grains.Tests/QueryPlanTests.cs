using System.Text.Json;
using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Grains.Tests;

/// <summary>
/// A first page is an index-ordered top-k: Postgres walks an index backwards and stops after the
/// page, instead of sorting every match. Checked with EXPLAIN on a table with realistic statistics.
/// </summary>
public sealed class QueryPlanTests(QueryPlanTests.Data data) : IClassFixture<QueryPlanTests.Data>
{
    private const string Columns =
        "id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, target_id, " +
        "request_metadata, response_metadata, additional_metadata, created_at, " +
        "source, tenant_id, request_id, ip_address, user_agent, http_method, http_path, http_status, latency_ms";

    private const string Order = " ORDER BY occurred_at DESC, id DESC LIMIT 100";

    [Fact]
    public async Task Trace_page_walks_the_trace_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs WHERE trace_id = $1{Order}", Data.SomeTrace);

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_trace");
    }

    [Fact]
    public async Task Event_type_page_walks_an_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs WHERE event_type = $1{Order}", "USER_MANAGEMENT");

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_event", "audit_logs_occurred");
    }

    [Fact]
    public async Task Tenant_page_walks_the_tenant_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs WHERE tenant_id = $1{Order}", "tenant-3");

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_tenant");
    }

    [Fact]
    public async Task Tenant_and_status_page_walks_the_tenant_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs WHERE tenant_id = $1 AND status = $2{Order}", "tenant-3", "SUCCESS");

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_tenant");
    }

    [Fact]
    public async Task Request_page_walks_the_request_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs WHERE request_id = $1{Order}", "req-123");

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_request");
    }

    [Fact]
    public async Task Ip_address_page_walks_the_ip_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs WHERE ip_address = $1{Order}", System.Net.IPAddress.Parse("10.0.0.42"));

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_ip");
    }

    [Fact]
    public async Task Unfiltered_page_walks_the_time_index_backwards_without_sorting()
    {
        var plan = await ExplainAsync($"SELECT {Columns} FROM audit_logs{Order}");

        AssertBackwardIndexScanWithoutSort(plan, "audit_logs_occurred");
    }

    [Fact]
    public async Task Trace_timeline_walks_the_trace_index_forwards_without_sorting()
    {
        var entries = await ExplainAsync(AuditReportStore.TraceEntriesSql, Data.SomeTrace, 1000);
        var summary = await ExplainAsync(AuditReportStore.TraceSummarySql, Data.SomeTrace, 100);

        var nodes = Nodes(entries).ToList();
        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() is "Sort" or "Incremental Sort");
        Assert.Contains(nodes, n => n.GetProperty("Node Type").GetString() is "Index Scan" or "Index Only Scan"
                                    && n.GetProperty("Scan Direction").GetString() == "Forward"
                                    && n.GetProperty("Index Name").GetString() == "audit_logs_trace");
        Assert.All(Scans(summary), n => Assert.Equal("audit_logs_trace", IndexOf(n)));
        Assert.NotEmpty(Scans(summary));
    }

    [Fact]
    public async Task Event_types_are_a_loose_scan_of_the_event_index_never_a_scan_of_the_table()
    {
        // ANALYZE: the step's subquery appears in the plan only once the recursion has run.
        var plan = await ExplainAnalyzeAsync(AuditReportStore.EventTypesSql, 10_000);

        var scans = Scans(plan).ToList();
        Assert.DoesNotContain(scans, n => n.GetProperty("Node Type").GetString() == "Seq Scan");
        Assert.All(scans, n => Assert.Equal("audit_logs_event", IndexOf(n)));
        Assert.Equal(2, scans.Count); // the first type, then the step to the next larger one
        Assert.Contains(Nodes(plan), n => n.GetProperty("Node Type").GetString() == "Recursive Union");
        // One descent per distinct type (6) into the index, each reading one entry: a jump, not a walk of the rows.
        var step = scans.Single(n => n.GetProperty("Alias").GetString() == "a");
        Assert.Equal(6, step.GetProperty("Actual Loops").GetInt32());
        Assert.True(step.GetProperty("Actual Rows").GetDouble() <= 1, step.ToString());
    }

    [Fact]
    public async Task Stats_read_the_range_once_and_aggregate_every_breakdown_side_by_side()
    {
        var since = new DateTime(2024, 1, 1, 2, 0, 0, DateTimeKind.Utc);
        var plan = await ExplainAsync(AuditReportStore.StatsSql(since: true, until: true), since, since.AddHours(1));

        var nodes = Nodes(plan).ToList();
        Assert.Single(Scans(plan));
        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() is "Sort" or "Incremental Sort");
        Assert.Contains(nodes, n => n.TryGetProperty("Strategy", out var strategy) && strategy.GetString() is "Hashed" or "Mixed");
    }

    /// <summary>The nodes that read audit_logs (its heap or one of its indexes).</summary>
    private static IEnumerable<JsonElement> Scans(JsonElement plan) =>
        Nodes(plan).Where(n => n.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "audit_logs");

    private static string? IndexOf(JsonElement scan) =>
        scan.TryGetProperty("Index Name", out var index) ? index.GetString() : scan.GetProperty("Node Type").GetString();

    private Task<JsonElement> ExplainAsync(string sql, params object[] parameters) => ExplainWithAsync("(FORMAT JSON)", sql, parameters);

    private Task<JsonElement> ExplainAnalyzeAsync(string sql, params object[] parameters) => ExplainWithAsync("(ANALYZE, FORMAT JSON)", sql, parameters);

    private async Task<JsonElement> ExplainWithAsync(string options, string sql, object[] parameters)
    {
        var json = await data.Database.ScalarAsync<string>($"EXPLAIN {options} " + sql, parameters);
        return JsonDocument.Parse(json).RootElement[0].GetProperty("Plan").Clone();
    }

    private static void AssertBackwardIndexScanWithoutSort(JsonElement plan, params string[] indexes)
    {
        var nodes = Nodes(plan).ToList();
        var described = plan.ToString();
        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() is "Sort" or "Incremental Sort");
        Assert.Contains(nodes, n =>
            n.GetProperty("Node Type").GetString() is "Index Scan" or "Index Only Scan"
            && n.GetProperty("Scan Direction").GetString() == "Backward"
            && indexes.Contains(n.GetProperty("Index Name").GetString()));
        Assert.True(nodes.Count > 0, described);
    }

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

    /// <summary>20,000 plausible rows (2,000 traces of 10, a handful of event types, 200 actors, a quarter with request context), analysed.</summary>
    public sealed class Data : IAsyncLifetime
    {
        public static readonly Guid SomeTrace = Guid.Parse("00000000-0000-4000-8000-0000000003e7");

        private readonly MigratedDatabase database = new();

        public TestDatabase Database => database.Database;

        public async Task InitializeAsync()
        {
            await database.InitializeAsync();
            await Database.ExecuteAsync($"""
                INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id,
                                        target_type, target_id, request_metadata, response_metadata, created_at, partition_id, seq,
                                        tenant_id, source, request_id, ip_address, user_agent, http_method, http_path, http_status, latency_ms)
                SELECT gen_random_uuid(),
                       ('00000000-0000-4000-8000-' || lpad(to_hex(g / 10), 12, '0'))::uuid,
                       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + (g % 7) * interval '1 millisecond',
                       (ARRAY['MANAGEMENT_EVENT', 'USER_MANAGEMENT', 'DATA_FETCH', 'LOGIN', 'POLICY_CHANGE', 'EXPORT'])[1 + g % 6],
                       (ARRAY['CREATE', 'READ', 'UPDATE', 'DELETE'])[1 + g % 4],
                       CASE WHEN g % 13 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
                       (ARRAY['SERVICE', 'ADMIN', 'MEMBER', 'SYSTEM'])[1 + g % 4],
                       'actor-' || (g % 200),
                       (ARRAY['SERVICE', 'RESOURCE'])[1 + g % 2],
                       'target-' || (g % 1000),
                       jsonb_build_object('schemaId', 'schema-' || (g % 50), 'requestedFields', jsonb_build_array('name', 'address')),
                       jsonb_build_object('decision', 'ALLOWED', 'fieldsReturned', g % 5),
                       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + interval '5 milliseconds',
                       g % {MigratedDatabase.PartitionCount},
                       g,
                       -- A quarter of the entries come through a tenant-aware API (5 tenants of 1,000
                       -- entries); those carry the HTTP context, each request id on 5 of them (a fan-out).
                       CASE WHEN g % 4 = 0 THEN 'tenant-' || (g / 4 % 5) END,
                       CASE WHEN g % 4 = 0 THEN 'urn:api-' || (g % 3) END,
                       CASE WHEN g % 4 = 0 THEN 'req-' || (g / 20) END,
                       CASE WHEN g % 4 = 0 THEN ('10.0.' || (g / 1000 % 256) || '.' || (g % 251))::inet END,
                       CASE WHEN g % 4 = 0 THEN 'Mozilla/5.0' END,
                       CASE WHEN g % 4 = 0 THEN (ARRAY['GET', 'POST', 'PUT', 'DELETE'])[1 + g / 4 % 4] END,
                       CASE WHEN g % 4 = 0 THEN '/v1/records/' || (g % 500) END,
                       CASE WHEN g % 4 = 0 THEN (ARRAY[200, 200, 200, 201, 404, 500])[1 + g / 4 % 6] END,
                       CASE WHEN g % 4 = 0 THEN (g % 900) / 3.0 END
                FROM generate_series(0, 19999) AS g
                """);
            await Database.ExecuteAsync("ANALYZE audit_logs");
        }

        public Task DisposeAsync() => database.DisposeAsync();
    }
}
