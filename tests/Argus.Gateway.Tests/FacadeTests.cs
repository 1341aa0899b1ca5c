using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// The other audit APIs Argus serves over the same store: the admin audit API (FastAPI), the
/// audit-events API (FastAPI) and the Kubernetes-style list. One entry reads back the same through
/// all of them and Argus's own; every facade's paging walks a set exactly once; filters, vocabularies,
/// statistics and errors are each API's own.
/// </summary>
public sealed class FacadeTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string Admin = "/api/v1/admin/audit", Events = "/v1/audit/events", List = "/api/v1/audit";

    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task One_entry_reads_back_identically_through_all_four_read_apis()
    {
        var unique = Guid.NewGuid().ToString("N");
        var created = await client.CreateAsync(JsonNode.Parse($$"""
            {
              "traceId": "{{Guid.NewGuid()}}", "timestamp": "2026-03-19T15:35:00.123456Z",
              "eventType": "approval.approve", "eventAction": "UPDATE", "status": "FAILURE",
              "actorType": "ADMIN", "actorId": "carlos.silva@empresa.com", "targetType": "RESOURCE", "targetId": "APR-{{unique}}",
              "additionalMetadata": {"incident": "INC-20260319-001", "comment": "Aprovado — analise"},
              "source": "approvals", "tenantId": "tenant-{{unique}}", "requestId": "req-1", "ipAddress": "10.0.1.50",
              "userAgent": "Mozilla/5.0", "httpMethod": "POST", "httpPath": "/approvals/1", "httpStatus": 409, "latencyMs": 12.5,
              "resourceType": "Approval", "partnerId": "partner-1", "actorEmail": "carlos.silva@empresa.com", "role": "operator",
              "namespace": "production", "eventGroup": "approvals", "sessionId": "sess-1", "correlationId": "corr-1",
              "userId": 42, "vmId": "vm-7", "taskId": 9001, "nodeIp": "10.0.0.7", "workerId": "worker-3", "errorMessage": "already approved"
            }
            """)!);
        var id = (string)created["id"]!;
        var argus = await GetObjectAsync(client, $"{AuditApi.Path}/{id}");

        var admin = await GetObjectAsync(client, $"{Admin}/{id}");
        var adminExpected = new JsonObject
        {
            ["id"] = id, ["created_at"] = Copy(argus, "timestamp"), ["tenant_id"] = Copy(argus, "tenantId"),
            ["partner_id"] = Copy(argus, "partnerId"), ["actor_id"] = Copy(argus, "actorId"), ["actor_email"] = Copy(argus, "actorEmail"),
            ["actor_type"] = "ADMIN", ["action"] = Copy(argus, "eventType"), ["resource_type"] = Copy(argus, "resourceType"),
            ["resource_id"] = Copy(argus, "targetId"), ["result"] = "failure", ["ip_address"] = Copy(argus, "ipAddress"),
            ["user_agent"] = Copy(argus, "userAgent"), ["trace_id"] = Copy(argus, "traceId"), ["details"] = Copy(argus, "additionalMetadata"),
        };
        AssertSameJson(adminExpected, admin);

        var evt = await GetObjectAsync(client, $"{Events}/{id}");
        var eventExpected = new JsonObject
        {
            ["id"] = id, ["created_at"] = Copy(argus, "timestamp"), ["user_id"] = 42, ["actor_type"] = "ADMIN",
            ["actor_id"] = Copy(argus, "actorId"), ["source"] = "approvals", ["event_group"] = "approvals",
            ["event_type"] = "approval.approve", ["status"] = "FAILURE", ["resource_type"] = "Approval",
            ["resource_id"] = Copy(argus, "targetId"), ["session_id"] = "sess-1", ["vm_id"] = "vm-7", ["task_id"] = 9001,
            ["request_id"] = "req-1", ["correlation_id"] = "corr-1", ["http_method"] = "POST", ["path"] = "/approvals/1",
            ["http_status"] = 409, ["latency_ms"] = 12.5, ["ip_address"] = "10.0.1.50", ["user_agent"] = "Mozilla/5.0",
            ["node_ip"] = "10.0.0.7", ["worker_id"] = "worker-3", ["event_payload"] = Copy(argus, "additionalMetadata"),
            ["error_message"] = "already approved",
        };
        Assert.Equal(26, eventExpected.Count);
        AssertSameJson(eventExpected, evt);

        var list = await GetObjectAsync(client, $"{List}?resource=APR-{unique}");
        var item = Assert.Single(list["items"]!.AsArray())!.AsObject();
        var itemExpected = new JsonObject
        {
            ["id"] = id, ["timestamp"] = Copy(argus, "timestamp"), ["action"] = "approval.approve", ["user"] = Copy(argus, "actorId"),
            ["role"] = "operator", ["resource"] = Copy(argus, "targetId"), ["resourceType"] = "Approval", ["namespace"] = "production",
            ["details"] = Copy(argus, "additionalMetadata"), ["sourceIP"] = "10.0.1.50", ["userAgent"] = "Mozilla/5.0",
        };
        AssertSameJson(itemExpected, item);
        Assert.Equal("2026-03-19T15:35:00.123456Z", (string?)item["timestamp"]);
    }

    [Fact]
    public async Task Absent_fields_are_explicit_nulls_and_the_event_api_fills_its_required_defaults()
    {
        var created = await client.CreateAsync(AuditJson.Minimal());
        var id = (string)created["id"]!;

        var admin = await GetObjectAsync(client, $"{Admin}/{id}");
        foreach (var name in new[] { "tenant_id", "partner_id", "actor_email", "action", "resource_type", "resource_id", "ip_address", "user_agent", "trace_id", "details" })
        {
            Assert.True(admin.ContainsKey(name) && admin[name] is null, $"{name}: {admin.ToJsonString()}");
        }

        var evt = await GetObjectAsync(client, $"{Events}/{id}");
        Assert.Equal(26, evt.Count);
        Assert.Equal(("default", "unknown", "unknown", "success"), ((string?)evt["event_group"], (string?)evt["source"], (string?)evt["event_type"], ((string?)evt["status"])?.ToLowerInvariant()));
        Assert.Equal(18, evt.Count(p => p.Value is null));
    }

    [Fact]
    public async Task The_admin_list_walks_a_filtered_set_exactly_once_newest_first_with_and_without_the_trailing_slash()
    {
        var tenant = "walk-" + Guid.NewGuid().ToString("N");
        var ids = await CreateSeriesAsync(23, i => new JsonObject { ["tenantId"] = tenant });

        var seen = new List<string>();
        for (var page = 1; page <= 6; page++)
        {
            var path = (page % 2 == 0 ? Admin + "/" : Admin) + $"?tenant_id={tenant}&page={page}&per_page=5";
            var body = await GetObjectAsync(client, path);
            Assert.Equal((23, page, 5, 5), ((int)body["total"]!, (int)body["page"]!, (int)body["per_page"]!, (int)body["pages"]!));
            Assert.Equal(["items", "total", "page", "per_page", "pages"], body.Select(p => p.Key));
            var items = body["items"]!.AsArray().Select(i => (string)i!["id"]!).ToList();
            Assert.Equal(page <= 4 ? 5 : page == 5 ? 3 : 0, items.Count);
            seen.AddRange(items);
        }

        Assert.Equal(ids.AsEnumerable().Reverse(), seen);
    }

    [Fact]
    public async Task The_kubernetes_list_walks_a_filtered_set_exactly_once_newest_first()
    {
        var user = "walker-" + Guid.NewGuid().ToString("N");
        var ids = await CreateSeriesAsync(11, i => new JsonObject { ["actorId"] = user });

        var seen = new List<string>();
        for (var page = 1; page <= 4; page++)
        {
            var body = await GetObjectAsync(client, $"{List}?user={user}&page={page}&pageSize=4");
            Assert.Equal(["apiVersion", "kind", "metadata", "items"], body.Select(p => p.Key));
            Assert.Equal(("v1", "AuditLogList"), ((string?)body["apiVersion"], (string?)body["kind"]));
            Assert.Equal((11, page, 4), ((int)body["metadata"]!["totalCount"]!, (int)body["metadata"]!["page"]!, (int)body["metadata"]!["pageSize"]!));
            seen.AddRange(body["items"]!.AsArray().Select(i => (string)i!["id"]!));
        }

        Assert.Equal(ids.AsEnumerable().Reverse(), seen);
        var defaults = await GetObjectAsync(client, $"{List}?user={user}");
        Assert.Equal((1, 50), ((int)defaults["metadata"]!["page"]!, (int)defaults["metadata"]!["pageSize"]!));
    }

    [Fact]
    public async Task The_admin_list_filters_by_each_of_its_parameters()
    {
        var tenant = "filters-" + Guid.NewGuid().ToString("N");
        var ids = await CreateSeriesAsync(6, i => new JsonObject
        {
            ["tenantId"] = tenant,
            ["partnerId"] = i < 3 ? "partner-a" : "partner-b",
            ["actorEmail"] = $"user{i % 2}@example.com",
            ["eventType"] = i % 3 == 0 ? "user.login" : "user.logout",
            ["resourceType"] = i < 4 ? "Session" : "Token",
            ["targetId"] = $"res-{i}",
            ["status"] = i == 5 ? "FAILURE" : "SUCCESS",
            ["ipAddress"] = i == 2 ? "2001:db8::1" : "192.0.2.1",
        });

        async Task<List<string>> Matching(string filter) =>
            (await GetObjectAsync(client, $"{Admin}?tenant_id={tenant}&{filter}"))["items"]!.AsArray().Select(i => (string)i!["id"]!).Reverse().ToList();

        Assert.Equal(ids[..3], await Matching("partner_id=partner-a"));
        Assert.Equal([ids[1], ids[3], ids[5]], await Matching("actor_email=user1@example.com"));
        Assert.Equal([ids[0], ids[3]], await Matching("action=user.login"));
        Assert.Equal(ids[4..], await Matching("resource_type=Token"));
        Assert.Equal([ids[4]], await Matching("resource_id=res-4"));
        Assert.Equal([ids[5]], await Matching("result=FaIlUrE"));
        Assert.Equal([ids[2]], await Matching("ip_address=2001:DB8:0:0::1"));
        Assert.Equal(ids[..5], await Matching("result=success"));
        Assert.Empty(await Matching("actor_id=nobody"));
        // Both ends inclusive: entries i are at second i.
        Assert.Equal(ids[1..4], await Matching("start_time=2026-05-01T00:00:01Z&end_time=2026-05-01T00:00:03Z"));
        Assert.Equal(ids[..2], await Matching("end_time=2026-05-01 00:00:01"));
        Assert.Empty(await Matching("start_time=2026-05-02"));
    }

    [Fact]
    public async Task The_admin_vocabularies_and_statistics_count_what_is_stored()
    {
        var tenant = "stats-" + Guid.NewGuid().ToString("N");
        var action = "report." + Guid.NewGuid().ToString("N")[..8];
        var resourceType = "Kind" + Guid.NewGuid().ToString("N")[..8];
        await CreateSeriesAsync(5, i => new JsonObject
        {
            ["tenantId"] = tenant,
            ["eventType"] = i < 3 ? action : "report.other",
            ["resourceType"] = i < 4 ? resourceType : null,
            ["status"] = i == 0 ? "FAILURE" : "SUCCESS",
        });

        Assert.Contains(action, (await GetObjectAsync(client, $"{Admin}/actions"))["actions"]!.AsArray().Select(a => (string?)a));
        Assert.Contains(resourceType, (await GetObjectAsync(client, $"{Admin}/resource-types"))["resource_types"]!.AsArray().Select(a => (string?)a));

        var stats = await GetObjectAsync(client, $"{Admin}/stats?tenant_id={tenant}");
        Assert.Equal(["total", "by_result", "by_action", "by_resource_type"], stats.Select(p => p.Key));
        AssertSameJson(new JsonObject
        {
            ["total"] = 5,
            ["by_result"] = new JsonObject { ["success"] = 4, ["failure"] = 1 },
            ["by_action"] = new JsonObject { [action] = 3, ["report.other"] = 2 },
            ["by_resource_type"] = new JsonObject { [resourceType] = 4 },
        }, stats);

        var ranged = await GetObjectAsync(client, $"{Admin}/stats?tenant_id={tenant}&start_time=2026-05-01T00:00:01Z&end_time=2026-05-01T00:00:02Z");
        Assert.Equal(2, (int)ranged["total"]!);
    }

    [Fact]
    public async Task Every_bad_admin_parameter_is_listed_in_fastapis_422()
    {
        using var response = await client.GetAsync($"{Admin}?page=0&per_page=501&result=maybe&start_time=yesterday&ip_address=nowhere&actor=bob");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = (await response.ReadObjectAsync())["detail"]!.AsArray().Select(d => d!.AsObject()).ToList();
        Assert.Equal(["page", "per_page", "start_time", "result", "ip_address", "actor"], detail.Select(d => (string)d["loc"]![1]!));
        Assert.All(detail, d =>
        {
            Assert.Equal("query", (string?)d["loc"]![0]);
            Assert.False(string.IsNullOrEmpty((string?)d["msg"]));
            Assert.False(string.IsNullOrEmpty((string?)d["type"]));
        });
        Assert.Equal(["greater_than_equal", "less_than_equal", "datetime_from_date_parsing", "literal_error", "ip_any_address", "extra_forbidden"],
            detail.Select(d => (string)d["type"]!));

        using var stats = await client.GetAsync($"{Admin}/stats?start_time=2026-05-02&end_time=2026-05-01");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stats.StatusCode);
        Assert.Equal("start_time", (string?)(await stats.ReadObjectAsync())["detail"]![0]!["loc"]![1]);
    }

    [Theory]
    [InlineData(Admin + "/{0}")]
    [InlineData(Events + "/{0}")]
    public async Task An_unknown_or_malformed_id_is_fastapis_404(string pattern)
    {
        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-an-id" })
        {
            using var response = await client.GetAsync(string.Format(CultureInfo.InvariantCulture, pattern, id));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("""{"detail":"Not Found"}""", await response.Content.ReadAsStringAsync());
        }

        using var extra = await client.GetAsync(string.Format(CultureInfo.InvariantCulture, pattern, Guid.NewGuid()) + "?verbose=1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, extra.StatusCode);
        Assert.Equal("extra_forbidden", (string?)(await extra.ReadObjectAsync())["detail"]![0]!["type"]);
    }

    [Fact]
    public async Task The_kubernetes_list_takes_dates_and_date_times_and_a_bare_until_date_includes_its_day()
    {
        var user = "days-" + Guid.NewGuid().ToString("N");
        var ids = await CreateSeriesAsync(3, i => new JsonObject
        {
            ["actorId"] = user,
            ["timestamp"] = $"2026-03-{18 + i}T23:59:59.999999Z",
        });

        async Task<List<string>> Matching(string filter) =>
            (await GetObjectAsync(client, $"{List}?user={user}&{filter}"))["items"]!.AsArray().Select(i => (string)i!["id"]!).Reverse().ToList();

        Assert.Equal(ids[..2], await Matching("until=2026-03-19"));
        Assert.Equal(ids[1..], await Matching("since=2026-03-19"));
        Assert.Equal([ids[1]], await Matching("since=2026-03-19&until=2026-03-19"));
        Assert.Equal(ids[..2], await Matching("until=2026-03-19T23:59:59.999999Z"));
        Assert.Equal([ids[0]], await Matching("until=2026-03-19T23:59:59.999998%2B00:00"));
        Assert.Equal([ids[2]], await Matching("since=2026-03-20T12:00"));
    }

    [Fact]
    public async Task Kubernetes_list_errors_are_status_objects_naming_every_bad_parameter()
    {
        using var response = await client.GetAsync($"{List}?pageSize=201&since=soon&page=x&usr=bob");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = await response.ReadObjectAsync();
        Assert.Equal(("Status", "v1", "Failure", "BadRequest", 400), ((string?)status["kind"], (string?)status["apiVersion"], (string?)status["status"], (string?)status["reason"], (int?)status["code"]));
        Assert.Equal(["page", "pageSize", "since", "usr"], status["details"]!["causes"]!.AsArray().Select(c => (string)c!["field"]!));
        var message = (string)status["message"]!;
        Assert.Contains("pageSize", message, StringComparison.Ordinal);
        Assert.Contains("usr", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_bound_key_reads_only_its_tenants_entries_through_every_facade()
    {
        var (mine, theirs) = ("mine-" + Guid.NewGuid().ToString("N"), "theirs-" + Guid.NewGuid().ToString("N"));
        var actor = "shared-" + Guid.NewGuid().ToString("N");
        var (ownEntry, otherEntry) = (AuditJson.Minimal(actor), AuditJson.Minimal(actor));
        (ownEntry["tenantId"], otherEntry["tenantId"]) = (mine, theirs);
        var own = await client.CreateAsync(ownEntry);
        var other = await client.CreateAsync(otherEntry);
        using var bound = fixture.Node.CreateAnonymousClient();
        bound.DefaultRequestHeaders.Add(Argus.Gateway.Security.Credentials.ApiKeyHeader,
            await fixture.Node.CreateKeyAsync("facade-" + Guid.NewGuid().ToString("N")[..8], ["audit:read"], mine));

        var admin = await GetObjectAsync(bound, $"{Admin}?actor_id={actor}");
        Assert.Equal([(string)own["id"]!], admin["items"]!.AsArray().Select(i => (string)i!["id"]!));
        var list = await GetObjectAsync(bound, $"{List}?user={actor}");
        Assert.Equal(1, (int)list["metadata"]!["totalCount"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await bound.GetAsync($"{Events}/{other["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bound.GetAsync($"{Admin}/{other["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bound.GetAsync($"{Events}/{own["id"]}")).StatusCode);
    }

    [Fact]
    public async Task Without_postgres_every_facade_and_report_answers_503_with_retry_after_in_its_own_shape()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        using var reader = node.CreateClient();
        (string Path, string MessageField)[] reads =
        [
            (Admin, "detail"), (Admin + "/stats", "detail"), (Admin + "/actions", "detail"), ($"{Admin}/{Guid.NewGuid()}", "detail"),
            ($"{Events}/{Guid.NewGuid()}", "detail"), (List, "message"), (AuditApi.Path + "/stats", "error"), (AuditApi.Path + "/resource-types", "error"),
        ];

        // The key is read before the outage, so what fails below is the read, not the credential's check.
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(List)).StatusCode);

        await using (await PostgresOutage.BeginAsync(database))
        {
            foreach (var (path, field) in reads)
            {
                using var response = await reader.GetAsync(path);
                var body = await response.ReadObjectAsync();
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"GET {path}: {(int)response.StatusCode} {body.ToJsonString()}");
                Assert.False(string.IsNullOrWhiteSpace((string?)body[field]), $"GET {path}: {body.ToJsonString()}");
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }
    }

    [Fact]
    public async Task Every_facade_is_in_the_api_document_with_its_parameters()
    {
        var paths = JsonNode.Parse(await client.GetStringAsync("/openapi.json"))!["paths"]!.AsObject();

        foreach (var path in new[] { Admin, Admin + "/actions", Admin + "/resource-types", Admin + "/stats", Admin + "/{log_id}", Events + "/{event_id}", List })
        {
            Assert.True(paths.ContainsKey(path), path);
        }

        static List<string?> Names(JsonNode operation) => operation["parameters"]!.AsArray().Select(p => (string?)p!["name"]).ToList();
        Assert.Contains("per_page", Names(paths[Admin]!["get"]!));
        Assert.Contains("ip_address", Names(paths[Admin]!["get"]!));
        Assert.Contains("pageSize", Names(paths[List]!["get"]!));
        Assert.True(paths[Admin]!["get"]!["responses"]!.AsObject().ContainsKey("422"));
    }

    /// <summary>Creates entries one second apart (from 2026-05-01T00:00:00Z unless the fields give a timestamp), in order; returns their ids.</summary>
    private async Task<string[]> CreateSeriesAsync(int count, Func<int, JsonObject> fields)
    {
        var entries = Enumerable.Range(0, count).Select(i =>
        {
            var entry = AuditJson.Minimal(timestamp: new DateTime(2026, 5, 1, 0, 0, i, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            foreach (var (name, value) in fields(i))
            {
                if (value is not null)
                {
                    entry[name] = value.DeepClone();
                }
            }

            return entry;
        }).ToList();
        return (await client.CreateAllAsync(entries, parallelism: 1)).Select(e => (string)e["id"]!).ToArray();
    }

    private static async Task<JsonObject> GetObjectAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body.ToJsonString()}");
        return body;
    }

    private static JsonNode? Copy(JsonObject entry, string name) => entry[name]?.DeepClone();

    private static void AssertSameJson(JsonNode expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\n     got {actual.ToJsonString()}");
}
