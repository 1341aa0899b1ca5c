using System.Net;
using System.Text.Json.Nodes;
using Argus.Client;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// GET /api/audit-logs/stats, event-types, event-actions and target-types: counts checked against
/// queries of their own on the same database, ranges and their refusals, vocabularies, and routing
/// next to /api/audit-logs/{id}. The tests of a class run one at a time, so each sees the whole table.
/// </summary>
public sealed class AuditReportsTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly string[] Breakdowns = ["status", "event_type", "actor_type", "event_action"];

    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Stats_without_a_range_count_every_entry_like_a_direct_query()
    {
        await CreateMixAsync("2030-01-01T00:00:00Z", count: 60);

        var stats = await GetStatsAsync("");

        await AssertMatchesStorageAsync(stats, "");
        Assert.Null(stats["since"]);
        Assert.Null(stats["until"]);
        Assert.True((long)stats["total"]! >= 60);
    }

    [Fact]
    public async Task Stats_over_a_range_count_since_inclusive_until_exclusive_under_both_names()
    {
        var created = await CreateMixAsync("2031-05-01T00:00:00Z", count: 48); // one entry per hour, 2 days
        var expected = created.Count(e => string.CompareOrdinal((string)e["timestamp"]!, "2031-05-01T12:00:00Z") >= 0
                                          && string.CompareOrdinal((string)e["timestamp"]!, "2031-05-02T06:00:00Z") < 0);
        Assert.Equal(18, expected);

        foreach (var query in new[]
                 {
                     "since=2031-05-01T12:00:00Z&until=2031-05-02T06:00:00Z",
                     "startTime=2031-05-01T12:00:00Z&endTime=2031-05-02T06:00:00Z",
                     $"since={Uri.EscapeDataString("2031-05-01T14:00:00+02:00")}&endTime=2031-05-02T06:00:00Z",
                 })
        {
            var stats = await GetStatsAsync(query);

            Assert.Equal(expected, (long)stats["total"]!);
            Assert.Equal("2031-05-01T12:00:00Z", (string)stats["since"]!);
            Assert.Equal("2031-05-02T06:00:00Z", (string)stats["until"]!);
            await AssertMatchesStorageAsync(stats, "WHERE occurred_at >= '2031-05-01T12:00:00Z' AND occurred_at < '2031-05-02T06:00:00Z'");
        }

        var open = await GetStatsAsync("since=2031-05-02T00:00:00Z");
        await AssertMatchesStorageAsync(open, "WHERE occurred_at >= '2031-05-02T00:00:00Z'");
        var upTo = await GetStatsAsync("until=2031-05-01T01:00:00Z");
        await AssertMatchesStorageAsync(upTo, "WHERE occurred_at < '2031-05-01T01:00:00Z'");
    }

    [Fact]
    public async Task Stats_of_one_tenant_count_only_its_entries_within_the_range()
    {
        var tenant = "tenant-" + Guid.NewGuid().ToString("N")[..12];
        var mine = await client.CreateAllAsync(Enumerable.Range(0, 9).Select(i => Entry($"2034-03-01T0{i}:00:00Z", e =>
        {
            e["tenantId"] = tenant;
            e["status"] = i % 3 == 0 ? "FAILURE" : "SUCCESS";
            e["eventType"] = "TENANT_MIX";
        })).ToList());
        await client.CreateAllAsync(Enumerable.Range(0, 5).Select(i => Entry($"2034-03-01T0{i}:30:00Z", e => e["tenantId"] = tenant + "-other")).ToList());

        var stats = await GetStatsAsync($"tenantId={tenant}&since=2034-03-01T02:00:00Z");

        Assert.Equal(7, (long)stats["total"]!);
        Assert.Equal(tenant, (string)stats["tenantId"]!);
        Assert.Equal(2, Counts(stats["byStatus"]!)["FAILURE"]);
        Assert.Equal([7L], Counts(stats["byEventType"]!).Values);
        await AssertMatchesStorageAsync(stats, $"WHERE tenant_id = '{tenant}' AND occurred_at >= '2034-03-01T02:00:00Z'");
        Assert.Equal(9, mine.Length);
    }

    [Fact]
    public async Task Stats_refuse_a_tenant_longer_than_an_entry_may_carry()
    {
        using var response = await client.GetAsync($"{AuditApi.Path}/stats?tenantId={new string('t', 129)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "tenantId");
    }

    [Fact]
    public async Task Stats_of_an_empty_range_list_every_closed_value_with_zero()
    {
        var stats = await GetStatsAsync("since=2099-01-01T00:00:00Z&until=2099-01-01T00:00:00Z");

        Assert.Equal(0, (long)stats["total"]!);
        Assert.Equal(["SUCCESS", "FAILURE"], Keys(stats["byStatus"]!));
        Assert.All(Counts(stats["byStatus"]!).Values, c => Assert.Equal(0, c));
        Assert.Equal(WireNames.ActorTypes, Keys(stats["byActorType"]!));
        Assert.Equal(WireNames.EventActions, Keys(stats["byEventAction"]!));
        Assert.Empty(stats["byEventType"]!.AsObject());
        Assert.False((bool)stats["eventTypesTruncated"]!);
    }

    [Fact]
    public async Task Event_types_in_stats_are_most_frequent_first()
    {
        var type = "RANKED_" + Guid.NewGuid().ToString("N");
        await client.CreateAllAsync(Enumerable.Range(0, 6)
            .Select(i => Entry($"2032-01-01T00:00:0{i}Z", e => e["eventType"] = i < 4 ? type + "_A" : type + "_B")).ToList());

        var stats = await GetStatsAsync("since=2032-01-01T00:00:00Z&until=2032-01-02T00:00:00Z");

        Assert.Equal([type + "_A", type + "_B"], Keys(stats["byEventType"]!));
        Assert.Equal([4L, 2L], Counts(stats["byEventType"]!).Values);
    }

    [Theory]
    [InlineData("since=yesterday", "since")]
    [InlineData("until=2024-01-20", "until")]
    [InlineData("startTime=2024-01-20T10:00:00", "startTime")]
    [InlineData("endTime=2024-01-20%2010:00:00Z", "endTime")]
    [InlineData("since=2024-01-20T11:00:00Z&until=2024-01-20T10:00:00Z", "since")]
    [InlineData("since=2024-01-20T10:00:00Z&startTime=2024-01-20T10:00:00Z", "since")]
    [InlineData("until=2024-01-20T10:00:00Z&until=2024-01-21T10:00:00Z", "until")]
    public async Task Stats_refuse_an_invalid_range_with_400_naming_it(string query, string field)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}/stats?{query}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Event_types_are_the_distinct_stored_types_complete_and_in_ordinal_order()
    {
        var prefix = "VOCAB_" + Guid.NewGuid().ToString("N")[..8];
        string[] types = [prefix, prefix + "_A", prefix + "_a", prefix + "_A_B", prefix + "_ä", prefix + " spaced"];
        await client.CreateAllAsync(types.Concat(types).Select(t => Entry("2033-01-01T00:00:00Z", e => e["eventType"] = t))
            .Append(Entry("2033-01-01T00:00:00Z")).ToList());

        using var response = await client.GetAsync($"{AuditApi.Path}/event-types");
        var body = await response.ReadObjectAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listed = body["eventTypes"]!.AsArray().Select(t => (string)t!).ToList();
        var stored = await StoredEventTypesAsync();
        Assert.Equal(stored.Order(StringComparer.Ordinal), listed);
        Assert.Equal(types.Order(StringComparer.Ordinal), listed.Where(t => t.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.False((bool)body["truncated"]!);
    }

    [Fact]
    public async Task Event_actions_and_target_types_are_their_closed_vocabularies()
    {
        var actions = await (await client.GetAsync($"{AuditApi.Path}/event-actions")).ReadObjectAsync();
        var targets = await (await client.GetAsync($"{AuditApi.Path}/target-types")).ReadObjectAsync();

        Assert.Equal(["CREATE", "READ", "UPDATE", "DELETE"], actions["eventActions"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(["SERVICE", "RESOURCE"], targets["targetTypes"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task Report_routes_take_precedence_over_the_entry_route_which_still_serves_ids()
    {
        var created = await client.CreateAsync(Entry("2034-01-01T00:00:00Z"));

        foreach (var (path, property) in new[] { ("stats", "byStatus"), ("event-types", "eventTypes"), ("event-actions", "eventActions"), ("target-types", "targetTypes") })
        {
            using var response = await client.GetAsync($"{AuditApi.Path}/{path}");
            var body = await response.ReadObjectAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body.ToJsonString()}");
            Assert.NotNull(body[property]);
        }

        var entry = await (await client.GetAsync($"{AuditApi.Path}/{created["id"]}")).ReadObjectAsync();
        Assert.Equal((string)created["id"]!, (string)entry["id"]!);
        using var notAReport = await client.GetAsync($"{AuditApi.Path}/statistics");
        await AuditApi.AssertErrorAsync(notAReport, HttpStatusCode.BadRequest, "id");
    }

    [Fact]
    public async Task The_typed_client_reads_traces_stats_and_event_types()
    {
        var services = new ServiceCollection();
        services.AddArgusClient(new ConfigurationBuilder().Build(), o =>
        {
            o.BaseAddress = fixture.Node.BaseAddress;
            o.ApiKey = fixture.Node.ApiKey;
        });
        await using var provider = services.BuildServiceProvider();
        var argus = provider.GetRequiredService<ArgusClient>();
        var trace = Guid.NewGuid();
        var type = "CLIENT_" + Guid.NewGuid().ToString("N");
        await client.CreateAllAsync([
            Entry("2035-01-01T00:00:00Z", e => (e["traceId"], e["eventType"]) = (trace.ToString(), type)),
            Entry("2035-01-01T00:00:01Z", e => (e["traceId"], e["status"]) = (trace.ToString(), "FAILURE")),
        ]);

        var timeline = await argus.GetTraceAsync(trace, limit: 1);
        var stats = await argus.GetStatsAsync(new AuditStatsQuery
        {
            Since = DateTimeOffset.Parse("2035-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            Until = DateTimeOffset.Parse("2035-01-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        });
        var types = await argus.GetEventTypesAsync();

        Assert.NotNull(timeline);
        Assert.Equal(trace, timeline.TraceId);
        Assert.Single(timeline.Entries);
        Assert.True(timeline.Truncated);
        Assert.Equal(2, timeline.Summary.EntryCount);
        Assert.Equal(AuditStatus.Failure, timeline.Summary.Outcome);
        Assert.Equal(1000.0, timeline.Summary.DurationMs);
        Assert.Null(await argus.GetTraceAsync(Guid.NewGuid()));
        Assert.Equal(2, stats.Total);
        Assert.Equal(1, stats.ByStatus["FAILURE"]);
        Assert.Equal(1, stats.ByEventType[type]);
        Assert.Contains(type, types.EventTypes);
    }

    /// <summary>Entries spread one per hour from <paramref name="start"/>, cycling through every status, actor type, action and a few event types (some absent).</summary>
    private async Task<JsonObject[]> CreateMixAsync(string start, int count)
    {
        var from = DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture);
        string?[] eventTypes = ["MIX_LOGIN", "MIX_EXPORT", null, "MIX_LOGIN", "MIX_POLICY"];
        string?[] actions = ["CREATE", "READ", "UPDATE", "DELETE", null, "READ"];
        return await client.CreateAllAsync(Enumerable.Range(0, count).Select(i => Entry(Rfc3339.Format(from.AddHours(i)), e =>
        {
            e["status"] = i % 7 == 0 ? "FAILURE" : "SUCCESS";
            e["actorType"] = WireNames.ActorTypes[i % 4];
            e["eventType"] = eventTypes[i % eventTypes.Length];
            e["eventAction"] = actions[i % actions.Length];
        })).ToList());
    }

    /// <summary>Every breakdown of <paramref name="stats"/> equals a GROUP BY of its own over the same rows; closed vocabularies list every value.</summary>
    private async Task AssertMatchesStorageAsync(JsonObject stats, string where)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using (var total = new NpgsqlCommand($"SELECT count(*) FROM audit_logs {where}", connection))
        {
            Assert.Equal((long)(await total.ExecuteScalarAsync())!, (long)stats["total"]!);
        }

        foreach (var column in Breakdowns)
        {
            var expected = new Dictionary<string, long>();
            await using var command = new NpgsqlCommand(
                $"SELECT {column}, count(*) FROM audit_logs {where} {(where.Length == 0 ? "WHERE" : "AND")} {column} IS NOT NULL GROUP BY 1", connection);
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    expected[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            var property = column switch
            {
                "status" => "byStatus",
                "event_type" => "byEventType",
                "actor_type" => "byActorType",
                _ => "byEventAction",
            };
            var reported = Counts(stats[property]!);
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), reported.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal));
            string[]? closed = column switch
            {
                "status" => WireNames.Statuses,
                "actor_type" => WireNames.ActorTypes,
                "event_action" => WireNames.EventActions,
                _ => null,
            };
            if (closed is not null)
            {
                Assert.Equal(closed, reported.Keys);
            }
        }
    }

    private async Task<List<string>> StoredEventTypesAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT DISTINCT event_type FROM audit_logs WHERE event_type IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var types = new List<string>();
        while (await reader.ReadAsync())
        {
            types.Add(reader.GetString(0));
        }

        return types;
    }

    /// <summary>Parsed with case-sensitive member names: event types that differ only in case are distinct keys.</summary>
    private async Task<JsonObject> GetStatsAsync(string query)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}/stats?{query}");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"stats?{query}: {(int)response.StatusCode} {body.ToJsonString()}");
        return body;
    }

    private static List<string> Keys(JsonNode breakdown) => breakdown.AsObject().Select(p => p.Key).ToList();

    private static Dictionary<string, long> Counts(JsonNode breakdown) =>
        breakdown.AsObject().ToDictionary(p => p.Key, p => (long)p.Value!);

    private static JsonObject Entry(string timestamp, Action<JsonObject>? change = null)
    {
        var entry = AuditJson.Minimal("report-" + Guid.NewGuid().ToString("N"), timestamp);
        change?.Invoke(entry);
        return entry;
    }
}
