using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// GET /api/audit-logs: parameter rules, every filter, the order of results and the total.
/// Each test writes under its own actor or trace and scopes its reads to them.
/// </summary>
public sealed class QueryTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Limit_defaults_to_100()
    {
        var actor = NewActor();
        await client.CreateAllAsync(Enumerable.Range(0, 101).Select(_ => AuditJson.Minimal(actor)).ToList());

        var page = await client.GetPageAsync($"actorId={actor}");

        Assert.Equal(100, (int)page["limit"]!);
        Assert.Equal(0, (int)page["offset"]!);
        Assert.Equal(101L, (long)page["total"]!);
        Assert.Equal(100, page["logs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Limit_of_1000_is_accepted()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync(Enumerable.Range(0, 3).Select(_ => AuditJson.Minimal(actor)).ToList());

        var page = await client.GetPageAsync($"actorId={actor}&limit=1000");

        Assert.Equal(1000, (int)page["limit"]!);
        Assert.Equal(3L, (long)page["total"]!);
        Assert.Equal(created.InApiOrder().Select(e => (string)e["id"]!), page.Ids());
    }

    [Theory]
    [InlineData("limit", "0")]
    [InlineData("limit", "1001")]
    [InlineData("limit", "-1")]
    [InlineData("limit", "abc")]
    [InlineData("limit", "1.5")]
    [InlineData("limit", "1e2")]
    [InlineData("limit", "+5")]
    [InlineData("limit", " 5")]
    [InlineData("limit", "99999999999")]
    [InlineData("offset", "-1")]
    [InlineData("offset", "x")]
    [InlineData("offset", "2.0")]
    [InlineData("offset", "2147483648")]
    public async Task Invalid_page_bound_is_refused_with_400_naming_it(string parameter, string value)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={Uri.EscapeDataString(value)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [InlineData("status", "UNKNOWN")]
    [InlineData("status", "success")]
    [InlineData("eventAction", "PATCH")]
    [InlineData("eventAction", "read")]
    [InlineData("actorType", "USER")]
    [InlineData("targetType", "DATABASE")]
    public async Task Unknown_enumeration_filter_is_refused_with_400_naming_it(string parameter, string value)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={value}");

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
        Assert.Contains("one of", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("550e8400e29b41d4a716446655440000ff")]
    [InlineData("{550e8400-e29b-41d4-a716-446655440000}")]
    public async Task Non_uuid_traceId_filter_is_refused_with_400(string value)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?traceId={Uri.EscapeDataString(value)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "traceId");
    }

    [Theory]
    [InlineData("since", "2024-01-20 10:00:00")]
    [InlineData("until", "2024-01-20")]
    [InlineData("startTime", "2024-01-20T10:00:00")]
    [InlineData("endTime", "yesterday")]
    public async Task Invalid_time_bound_is_refused_with_400_naming_it(string parameter, string value)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={Uri.EscapeDataString(value)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Fact]
    public async Task Since_later_than_until_is_refused_with_400()
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?since=2024-01-20T11:00:00Z&until=2024-01-20T10:00:00Z");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "since");
    }

    [Theory]
    [InlineData("since", "startTime")]
    [InlineData("until", "endTime")]
    public async Task Time_bound_and_its_alias_together_are_refused(string name, string alias)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{name}=2024-01-20T10:00:00Z&{alias}=2024-01-20T10:00:00Z");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, name);
    }

    [Theory]
    [InlineData("status=SUCCESS&status=FAILURE", "status")]
    [InlineData("status=SUCCESS&status=SUCCESS", "status")]
    [InlineData("limit=1&limit=2", "limit")]
    [InlineData("actorId=a&actorId=b", "actorId")]
    [InlineData("traceId=550e8400-e29b-41d4-a716-446655440000&traceId=550e8400-e29b-41d4-a716-446655440000", "traceId")]
    public async Task Repeated_parameter_is_refused_with_400_naming_it(string query, string parameter)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{query}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [InlineData("eventType", 129)]
    [InlineData("actorId", 513)]
    [InlineData("targetId", 513)]
    public async Task Too_long_text_filter_is_refused_with_400_naming_it(string parameter, int length)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={new string('x', length)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [InlineData("actorId")]
    [InlineData("eventType")]
    [InlineData("targetId")]
    public async Task Nul_character_in_a_text_filter_is_refused_with_400_naming_it(string parameter)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}=a%00b");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Fact]
    public async Task Empty_parameter_value_counts_as_absent()
    {
        var actor = NewActor();
        var failure = AuditJson.Minimal(actor);
        failure["status"] = "FAILURE";
        var created = await client.CreateAllAsync([AuditJson.Minimal(actor), failure]);

        var page = await client.GetPageAsync(
            $"actorId={actor}&status=&traceId=&eventType=&eventAction=&actorType=&targetType=&targetId=&since=&until=&startTime=&endTime=&limit=&offset=");

        Assert.Equal(2L, (long)page["total"]!);
        Assert.Equal(100, (int)page["limit"]!);
        Assert.Equal(0, (int)page["offset"]!);
        Assert.Equal(created.InApiOrder().Select(e => (string)e["id"]!), page.Ids());
    }

    [Fact]
    public async Task An_unknown_parameter_is_refused_naming_it_and_a_near_name_is_suggested()
    {
        // A misspelt filter would otherwise be dropped and the page hold everything.
        var response = await client.GetAsync("/api/audit-logs?actor=bob");
        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "actor");
        Assert.Contains("unknown query parameter 'actor'", error, StringComparison.Ordinal);
        Assert.Contains("did you mean 'actorId'?", error, StringComparison.Ordinal);

        response = await client.GetAsync("/api/audit-logs/stats?foo=bar");
        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "foo");
        response = await client.GetAsync($"/api/traces/{Guid.NewGuid()}?limt=5");
        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "limt");
        response = await client.GetAsync("/api/audit-logs/event-types?x=1");
        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "x");
    }

    [Fact]
    public async Task A_W3C_trace_id_of_32_hex_digits_finds_the_same_trace_as_its_uuid()
    {
        var actor = NewActor();
        var trace = Guid.NewGuid();
        var entry = AuditJson.Minimal(actor);
        entry["traceId"] = trace.ToString();
        var created = await client.CreateAsync(entry);

        var page = await client.GetPageAsync($"traceId={trace:N}");
        Assert.Equal([(string)created["id"]!], page.Ids());
        using var timeline = await client.GetAsync($"/api/traces/{trace.ToString("N").ToUpperInvariant()}");
        Assert.Equal(HttpStatusCode.OK, timeline.StatusCode);
    }

    [Fact]
    public async Task TraceId_filter_returns_exactly_that_trace()
    {
        var actor = NewActor();
        var (t1, t2) = (Guid.NewGuid(), Guid.NewGuid());
        var created = await client.CreateAllAsync([
            Entry(actor, e => e["traceId"] = t1.ToString()),
            Entry(actor, e => e["traceId"] = t1.ToString()),
            Entry(actor, e => e["traceId"] = t2.ToString()),
            Entry(actor),
        ]);

        await AssertResultAsync($"traceId={t1}", created[0], created[1]);
        await AssertResultAsync($"traceId={t2}", created[2]);
        await AssertResultAsync($"traceId={t1.ToString().ToUpperInvariant()}", created[0], created[1]);
        await AssertResultAsync($"traceId={Guid.NewGuid()}");
    }

    [Fact]
    public async Task EventType_filter_returns_exactly_that_type()
    {
        var actor = NewActor();
        var type = "TYPE_" + Guid.NewGuid().ToString("N");
        var created = await client.CreateAllAsync([
            Entry(actor, e => e["eventType"] = type),
            Entry(actor, e => e["eventType"] = type + "_OTHER"),
            Entry(actor, e => e["eventType"] = type.ToLowerInvariant()),
            Entry(actor),
        ]);

        await AssertResultAsync($"eventType={type}", created[0]);
        await AssertResultAsync($"actorId={actor}&eventType={type}_OTHER", created[1]);
    }

    [Fact]
    public async Task EventAction_filter_returns_exactly_that_action()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync([
            Entry(actor, e => e["eventAction"] = "CREATE"),
            Entry(actor, e => e["eventAction"] = "READ"),
            Entry(actor, e => e["eventAction"] = "UPDATE"),
            Entry(actor, e => e["eventAction"] = "DELETE"),
            Entry(actor, e => e["eventAction"] = "UPDATE"),
            Entry(actor),
        ]);

        await AssertResultAsync($"actorId={actor}&eventAction=UPDATE", created[2], created[4]);
        await AssertResultAsync($"actorId={actor}&eventAction=CREATE", created[0]);
        await AssertResultAsync($"actorId={actor}&eventAction=DELETE", created[3]);
    }

    [Fact]
    public async Task Status_filter_returns_exactly_that_status()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync([
            Entry(actor),
            Entry(actor, e => e["status"] = "FAILURE"),
            Entry(actor),
        ]);

        await AssertResultAsync($"actorId={actor}&status=SUCCESS", created[0], created[2]);
        await AssertResultAsync($"actorId={actor}&status=FAILURE", created[1]);
    }

    [Fact]
    public async Task ActorType_filter_returns_exactly_that_actor_type()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync([
            Entry(actor, e => e["actorType"] = "ADMIN"),
            Entry(actor, e => e["actorType"] = "MEMBER"),
            Entry(actor, e => e["actorType"] = "ADMIN"),
            Entry(actor, e => e["actorType"] = "SYSTEM"),
            Entry(actor),
        ]);

        await AssertResultAsync($"actorId={actor}&actorType=ADMIN", created[0], created[2]);
        await AssertResultAsync($"actorId={actor}&actorType=SERVICE", created[4]);
    }

    [Fact]
    public async Task ActorId_filter_returns_exactly_that_actor()
    {
        var trace = Guid.NewGuid().ToString();
        var (a1, a2) = (NewActor(), NewActor());
        var created = await client.CreateAllAsync([
            Entry(a1, e => e["traceId"] = trace),
            Entry(a2, e => e["traceId"] = trace),
            Entry(a1, e => e["traceId"] = trace),
            Entry(a1.ToUpperInvariant(), e => e["traceId"] = trace),
        ]);

        await AssertResultAsync($"actorId={a1}", created[0], created[2]);
        await AssertResultAsync($"traceId={trace}&actorId={a2}", created[1]);
    }

    [Fact]
    public async Task ActorId_filter_matches_identifiers_with_reserved_characters()
    {
        var actor = "user+" + Guid.NewGuid().ToString("N") + "@example.com/ä b&c=d";
        var created = await client.CreateAsync(AuditJson.Minimal(actor));

        await AssertResultAsync($"actorId={Uri.EscapeDataString(actor)}", created);
    }

    [Fact]
    public async Task TargetType_filter_returns_exactly_that_target_type()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync([
            Entry(actor, e => e["targetType"] = "SERVICE"),
            Entry(actor),
            Entry(actor, e => e["targetType"] = "SERVICE"),
        ]);

        await AssertResultAsync($"actorId={actor}&targetType=SERVICE", created[0], created[2]);
        await AssertResultAsync($"actorId={actor}&targetType=RESOURCE", created[1]);
    }

    [Fact]
    public async Task TargetId_filter_returns_exactly_that_target()
    {
        var actor = NewActor();
        var target = "target-" + Guid.NewGuid().ToString("N");
        var created = await client.CreateAllAsync([
            Entry(actor, e => e["targetId"] = target),
            Entry(actor, e => e["targetId"] = target + "-2"),
            Entry(actor),
            Entry(actor, e => e["targetId"] = target),
        ]);

        await AssertResultAsync($"targetId={target}", created[0], created[3]);
        await AssertResultAsync($"actorId={actor}&targetId={target}-2", created[1]);
    }

    [Fact]
    public async Task Since_is_inclusive_and_until_is_exclusive_under_both_names()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync([
            AuditJson.Minimal(actor, "2024-01-20T10:00:00Z"),
            AuditJson.Minimal(actor, "2024-01-20T11:00:00Z"),
            AuditJson.Minimal(actor, "2024-01-20T11:00:00.000001Z"),
            AuditJson.Minimal(actor, "2024-01-20T12:00:00Z"),
            AuditJson.Minimal(actor, "2024-01-20T13:00:00Z"),
        ]);
        var (at10, at11, justAfter11, at12, at13) = (created[0], created[1], created[2], created[3], created[4]);
        var scope = $"actorId={actor}";

        foreach (var (since, until) in new[] { ("since", "until"), ("startTime", "endTime") })
        {
            await AssertResultAsync($"{scope}&{since}=2024-01-20T11:00:00Z", at11, justAfter11, at12, at13);
            await AssertResultAsync($"{scope}&{since}=2024-01-20T11:00:00.000001Z", justAfter11, at12, at13);
            await AssertResultAsync($"{scope}&{until}=2024-01-20T12:00:00Z", at10, at11, justAfter11);
            await AssertResultAsync($"{scope}&{until}=2024-01-20T11:00:00.000001Z", at10, at11);
            await AssertResultAsync($"{scope}&{since}=2024-01-20T11:00:00Z&{until}=2024-01-20T13:00:00Z", at11, justAfter11, at12);
            await AssertResultAsync($"{scope}&{since}=2024-01-20T12:00:00Z&{until}=2024-01-20T12:00:00Z");
        }

        // Mixed names, and bounds with an offset (an unescaped '+' would arrive as a space).
        await AssertResultAsync($"{scope}&since=2024-01-20T11:00:00Z&endTime=2024-01-20T12:00:00Z", at11, justAfter11);
        await AssertResultAsync($"{scope}&since={Uri.EscapeDataString("2024-01-20T13:00:00+02:00")}", at11, justAfter11, at12, at13);
        await AssertResultAsync($"{scope}&until={Uri.EscapeDataString("2024-01-20T07:00:00-05:00")}", at10, at11, justAfter11);
    }

    [Fact]
    public async Task Filters_combine_with_and()
    {
        var actor = NewActor();
        var created = await client.CreateAllAsync([
            Entry(actor, "FAILURE", "DELETE"),
            Entry(actor, "FAILURE", "READ"),
            Entry(actor, "SUCCESS", "DELETE"),
        ]);

        await AssertResultAsync($"actorId={actor}&status=FAILURE&eventAction=DELETE", created[0]);
        await AssertResultAsync($"actorId={actor}&status=SUCCESS&eventAction=READ");
    }

    [Fact]
    public async Task Results_are_newest_first_with_id_descending_between_equal_timestamps()
    {
        var actor = NewActor();
        string[] timestamps =
        [
            "2024-01-20T10:00:00Z", "2024-01-20T12:00:00Z", "2024-01-20T11:00:00Z", "2024-01-20T12:00:00Z",
            "2024-01-20T11:00:00Z", "2024-01-20T12:00:00Z", "2024-01-20T10:00:00Z", "2024-01-20T12:00:00Z",
            "2024-01-20T11:00:00.5Z", "2024-01-20T12:00:00Z", "2024-01-20T11:00:00Z", "2024-01-20T12:00:00Z",
        ];

        // Ids derived from idempotency keys bear no relation to arrival order (the database is this
        // class's own, so fixed keys are free): only the id tiebreak can order equal timestamps.
        var created = await client.CreateAllAsync(
            timestamps.Select(t => AuditJson.Minimal(actor, t)).ToList(), parallelism: 1, idempotencyKey: i => $"ordering-{i}");

        var page = await client.GetPageAsync($"actorId={actor}");

        var expected = created.InApiOrder().Select(e => (string)e["id"]!).ToList();
        Assert.Equal(expected, page.Ids());
        var newestArrivalFirst = Enumerable.Reverse(created).Where(e => (string?)e["timestamp"] == "2024-01-20T12:00:00Z").Select(e => (string)e["id"]!);
        Assert.NotEqual(newestArrivalFirst, expected.Take(6));
        Assert.Equal(
            ["2024-01-20T12:00:00Z", "2024-01-20T11:00:00.500000Z", "2024-01-20T11:00:00Z", "2024-01-20T10:00:00Z"],
            page["logs"]!.AsArray().Select(l => (string)l!["timestamp"]!).Distinct());
    }

    [Fact]
    public async Task Total_counts_every_match_not_just_the_page()
    {
        var actor = NewActor();
        var created = (await client.CreateAllAsync(
            Enumerable.Range(0, 5).Select(i => AuditJson.Minimal(actor, $"2024-01-20T10:00:0{i}Z")).ToList())).InApiOrder();

        var first = await client.GetPageAsync($"actorId={actor}&limit=2");
        Assert.Equal(5L, (long)first["total"]!);
        Assert.Equal(created.Take(2).Select(e => (string)e["id"]!), first.Ids());

        var last = await client.GetPageAsync($"actorId={actor}&limit=2&offset=4");
        Assert.Equal(5L, (long)last["total"]!);
        Assert.Equal(2, (int)last["limit"]!);
        Assert.Equal(4, (int)last["offset"]!);
        Assert.Equal([(string)created[4]["id"]!], last.Ids());

        var beyond = await client.GetPageAsync($"actorId={actor}&limit=2&offset=2147483647");
        Assert.Equal(5L, (long)beyond["total"]!);
        Assert.Empty(beyond["logs"]!.AsArray());
    }

    private static string NewActor() => "query-" + Guid.NewGuid().ToString("N");

    private static JsonObject Entry(string actor, string status, string eventAction) =>
        Entry(actor, e =>
        {
            e["status"] = status;
            e["eventAction"] = eventAction;
        });

    private static JsonObject Entry(string actor, Action<JsonObject>? change = null)
    {
        var entry = AuditJson.Minimal(actor);
        change?.Invoke(entry);
        return entry;
    }

    /// <summary>The query's result is exactly <paramref name="expected"/>, in the API's order, with the matching total.</summary>
    private async Task AssertResultAsync(string query, params JsonObject[] expected)
    {
        var page = await client.GetPageAsync(query + "&limit=1000");
        Assert.Equal(expected.InApiOrder().Select(e => (string)e["id"]!), page.Ids());
        Assert.Equal(expected.Length, (long)page["total"]!);
    }
}
