using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>GET /api/traces/{traceId}: the whole trace oldest first, its summary, the bound on entries, 404 and 400.</summary>
public sealed class TraceTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Timeline_is_oldest_first_with_id_ascending_between_equal_timestamps()
    {
        var trace = Guid.NewGuid().ToString();
        string[] timestamps =
        [
            "2024-03-01T10:00:02Z", "2024-03-01T10:00:00Z", "2024-03-01T10:00:02Z", "2024-03-01T10:00:01.25Z",
            "2024-03-01T10:00:02Z", "2024-03-01T10:00:00.000001Z", "2024-03-01T10:00:02Z", "2024-03-01T10:00:01Z",
        ];

        // Ids derived from fixed idempotency keys bear no relation to arrival order (the database is this
        // class's own): only the id tiebreak can order the four entries at 10:00:02.
        var created = await client.CreateAllAsync(
            timestamps.Select(t => InTrace(trace, "actor-a", t)).ToList(), parallelism: 1, idempotencyKey: i => $"timeline-order-{i}");

        var timeline = await GetTimelineAsync(trace);

        var expected = Enumerable.Reverse(created.InApiOrder()).Select(e => (string)e["id"]!).ToList();
        Assert.Equal(expected, Ids(timeline));
        var sameInstantByArrival = created.Where(e => (string?)e["timestamp"] == "2024-03-01T10:00:02Z").Select(e => (string)e["id"]!);
        Assert.NotEqual(sameInstantByArrival, expected.Skip(4));
        Assert.Equal(
            ["2024-03-01T10:00:00Z", "2024-03-01T10:00:00.000001Z", "2024-03-01T10:00:01Z", "2024-03-01T10:00:01.250000Z", "2024-03-01T10:00:02Z"],
            timeline["entries"]!.AsArray().Select(e => (string)e!["timestamp"]!).Distinct());
        Assert.Equal(trace, (string)timeline["traceId"]!);
        Assert.False((bool)timeline["truncated"]!);
        Assert.Equal(1000, (int)timeline["limit"]!);
    }

    [Fact]
    public async Task Entries_are_returned_exactly_as_stored()
    {
        var trace = Guid.NewGuid().ToString();
        var entry = JsonNode.Parse(AuditJson.SeedExample)!.AsObject();
        entry["traceId"] = trace;
        var created = await client.CreateAsync(entry);

        var timeline = await GetTimelineAsync(trace);

        var stored = await (await client.GetAsync($"{AuditApi.Path}/{created["id"]}")).ReadObjectAsync();
        Assert.True(JsonNode.DeepEquals(stored, timeline["entries"]![0]), timeline["entries"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task Summary_covers_counts_times_outcome_and_actors()
    {
        var trace = Guid.NewGuid().ToString();
        var entries = new List<JsonObject>
        {
            InTrace(trace, "gateway", "2024-03-02T09:00:00.5Z"),
            InTrace(trace, "billing", "2024-03-02T09:00:01Z"),
            InTrace(trace, "Billing", "2024-03-02T09:00:01.000250Z", "FAILURE"),
            InTrace(trace, "gateway", "2024-03-02T09:00:03Z"),
            InTrace(trace, "ledger", "2024-03-02T09:00:02Z", "FAILURE"),
        };
        await client.CreateAllAsync(entries);

        var summary = (await GetTimelineAsync(trace))["summary"]!;

        Assert.Equal(5, (long)summary["entryCount"]!);
        Assert.Equal("2024-03-02T09:00:00.500000Z", (string)summary["firstTimestamp"]!);
        Assert.Equal("2024-03-02T09:00:03Z", (string)summary["lastTimestamp"]!);
        Assert.Equal(2500.0, (double)summary["durationMs"]!);
        Assert.Equal(3, (long)summary["successCount"]!);
        Assert.Equal(2, (long)summary["failureCount"]!);
        Assert.Equal("FAILURE", (string)summary["outcome"]!);
        Assert.Equal(4, (long)summary["actorCount"]!);
        Assert.Equal(["Billing", "billing", "gateway", "ledger"], summary["actors"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task Outcome_is_success_when_no_entry_failed_and_duration_is_zero_for_one_instant()
    {
        var trace = Guid.NewGuid().ToString();
        await client.CreateAllAsync([InTrace(trace, "one", "2024-03-03T00:00:00Z"), InTrace(trace, "one", "2024-03-03T00:00:00Z")]);

        var summary = (await GetTimelineAsync(trace))["summary"]!;

        Assert.Equal("SUCCESS", (string)summary["outcome"]!);
        Assert.Equal(0.0, (double)summary["durationMs"]!);
        Assert.Equal(0, (long)summary["failureCount"]!);
        Assert.Equal(["one"], summary["actors"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task Limit_bounds_the_entries_and_says_truncated_while_the_summary_covers_the_whole_trace()
    {
        var trace = Guid.NewGuid().ToString();
        var created = await client.CreateAllAsync(Enumerable.Range(0, 7)
            .Select(i => InTrace(trace, $"actor-{i}", $"2024-03-04T00:00:0{i}Z", i == 6 ? "FAILURE" : "SUCCESS")).ToList());
        var oldestFirst = Enumerable.Reverse(created.InApiOrder()).Select(e => (string)e["id"]!).ToList();

        var bounded = await GetTimelineAsync(trace, "limit=3");
        Assert.Equal(oldestFirst.Take(3), Ids(bounded));
        Assert.True((bool)bounded["truncated"]!);
        Assert.Equal(3, (int)bounded["limit"]!);
        Assert.Equal(7, (long)bounded["summary"]!["entryCount"]!);
        Assert.Equal("FAILURE", (string)bounded["summary"]!["outcome"]!);
        Assert.Equal("2024-03-04T00:00:06Z", (string)bounded["summary"]!["lastTimestamp"]!);

        var exact = await GetTimelineAsync(trace, "limit=7");
        Assert.Equal(oldestFirst, Ids(exact));
        Assert.False((bool)exact["truncated"]!);

        var widest = await GetTimelineAsync(trace, "limit=10000");
        Assert.Equal(oldestFirst, Ids(widest));
    }

    [Fact]
    public async Task Only_the_trace_itself_is_returned()
    {
        var (trace, other) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        var created = await client.CreateAllAsync([InTrace(trace, "a", "2024-03-05T00:00:00Z"), InTrace(other, "a", "2024-03-05T00:00:00Z")]);

        var timeline = await GetTimelineAsync(trace.ToUpperInvariant());

        Assert.Equal([(string)created[0]["id"]!], Ids(timeline));
        Assert.Equal(trace, (string)timeline["traceId"]!);
    }

    [Fact]
    public async Task Unknown_trace_is_404()
    {
        using var response = await client.GetAsync($"/api/traces/{Guid.NewGuid()}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.NotFound, "traceId", messageNamesField: false);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("550e8400e29b41d4a716446655440000ff")]
    [InlineData("{550e8400-e29b-41d4-a716-446655440000}")]
    public async Task Non_uuid_trace_is_400_naming_traceId(string value)
    {
        using var response = await client.GetAsync($"/api/traces/{Uri.EscapeDataString(value)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "traceId");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public async Task Invalid_limit_is_400_naming_it(string value)
    {
        using var response = await client.GetAsync($"/api/traces/{Guid.NewGuid()}?limit={value}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "limit");
    }

    private async Task<JsonObject> GetTimelineAsync(string trace, string query = "")
    {
        using var response = await client.GetAsync($"/api/traces/{trace}?{query}");
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    private static List<string> Ids(JsonObject timeline) =>
        timeline["entries"]!.AsArray().Select(e => (string)e!["id"]!).ToList();

    private static JsonObject InTrace(string trace, string actor, string timestamp, string status = "SUCCESS")
    {
        var entry = AuditJson.Minimal(actor, timestamp);
        entry["traceId"] = trace;
        entry["status"] = status;
        return entry;
    }
}
