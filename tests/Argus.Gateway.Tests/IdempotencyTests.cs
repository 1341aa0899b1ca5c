using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// Idempotency-Key makes a retried POST safe: the same request stores one entry and answers with
/// it every time; a key reused for another event is refused. The W3C traceparent header supplies
/// the trace when the body names none.
/// </summary>
public sealed class IdempotencyTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string ReplayedHeader = "Idempotent-Replayed";

    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Same_key_and_body_twice_answers_the_same_entry_and_stores_one_row()
    {
        var entry = AuditJson.Minimal();
        var key = NewKey();

        using var first = await client.PostEntryAsync(entry, key);
        using var second = await client.PostEntryAsync(entry, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(first.Headers.Contains(ReplayedHeader));
        Assert.Equal(["true"], second.Headers.GetValues(ReplayedHeader));
        var (a, b) = (await first.ReadObjectAsync(), await second.ReadObjectAsync());
        Assert.True(JsonNode.DeepEquals(a, b), $"{a.ToJsonString()} != {b.ToJsonString()}");
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(1L, await RowsOfAsync(entry));
    }

    [Fact]
    public async Task Retry_that_differs_only_in_spelling_is_replayed()
    {
        var actor = "idempotency-" + Guid.NewGuid().ToString("N");
        var key = NewKey();
        var original = $$"""{"timestamp": "2024-01-20T12:00:00+02:00", "status": "SUCCESS", "actorType": "SERVICE", "actorId": "{{actor}}", "targetType": "RESOURCE", "requestMetadata": {"a": 1.50, "b": "é", "c": [1, 2]} }""";
        var respelled = $$"""
            {
              "targetType":"RESOURCE", "actorId":"{{actor}}", "actorType":"SERVICE", "status":"SUCCESS",
              "requestMetadata": { "c": [1,2], "b": "\u00e9", "a": 1.5 },
              "timestamp":"2024-01-20T10:00:00.000000Z", "eventType": null, "ignored": true
            }
            """;

        using var first = await client.PostEntryAsync(AuditJson.Content(original), key);
        using var second = await client.PostEntryAsync(AuditJson.Content(respelled), key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.True(second.Headers.Contains(ReplayedHeader));
        Assert.Equal((string?)(await first.ReadObjectAsync())["id"], (string?)(await second.ReadObjectAsync())["id"]);
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actor));
    }

    [Fact]
    public async Task Same_key_with_a_different_body_is_refused_with_422_naming_the_key()
    {
        var entry = AuditJson.Minimal();
        var key = NewKey();
        var created = await client.CreateAsync(entry, key);
        var changed = entry.DeepClone().AsObject();
        changed["status"] = "FAILURE";

        using var response = await client.PostEntryAsync(changed, key);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(1L, await RowsOfAsync(entry));
        Assert.Equal("SUCCESS", await fixture.Database.ScalarAsync<string>(
            "SELECT status FROM audit_logs WHERE id = $1", Guid.Parse((string)created["id"]!)));
    }

    [Theory]
    [InlineData("metadata", """{"k": 2}""")]
    [InlineData("timestamp", "2024-01-20T10:00:00.000001Z")]
    [InlineData("traceId", "550e8400-e29b-41d4-a716-446655440000")]
    public async Task Reusing_a_key_for_any_other_content_is_refused(string change, string value)
    {
        var entry = AuditJson.Minimal();
        entry["requestMetadata"] = new JsonObject { ["k"] = 1 };
        var key = NewKey();
        await client.CreateAsync(entry, key);
        var changed = entry.DeepClone().AsObject();
        switch (change)
        {
            case "metadata":
                changed["requestMetadata"] = JsonNode.Parse(value);
                break;
            default:
                changed[change] = value;
                break;
        }

        using var response = await client.PostEntryAsync(changed, key);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(1L, await RowsOfAsync(entry));
    }

    [Theory]
    [InlineData("source", "\"urn:other\"")]
    [InlineData("tenantId", "\"tenant-b\"")]
    [InlineData("requestId", "\"req-2\"")]
    [InlineData("ipAddress", "\"192.0.2.2\"")]
    [InlineData("userAgent", "\"curl/8.6.0\"")]
    [InlineData("httpMethod", "\"POST\"")]
    [InlineData("httpPath", "\"/v1/orders/8\"")]
    [InlineData("httpStatus", "500")]
    [InlineData("latencyMs", "12.51")]
    [InlineData("tenantId", "null")]
    [InlineData("httpStatus", "null")]
    public async Task Reusing_a_key_with_a_different_request_context_is_refused(string field, string value)
    {
        var entry = WithRequestContext(AuditJson.Minimal());
        var key = NewKey();
        var created = await client.CreateAsync(entry, key);
        var changed = entry.DeepClone().AsObject();
        changed[field] = JsonNode.Parse(value);

        using var response = await client.PostEntryAsync(changed, key);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(1L, await RowsOfAsync(entry));
        var stored = await client.GetEntryAsync(Guid.Parse((string)created["id"]!));
        Assert.True(JsonNode.DeepEquals(created, stored), $"{created.ToJsonString()} != {stored.ToJsonString()}");
    }

    [Fact]
    public async Task Retry_that_spells_the_address_and_method_differently_is_replayed()
    {
        var entry = WithRequestContext(AuditJson.Minimal());
        var key = NewKey();
        var created = await client.CreateAsync(entry, key);
        var respelled = entry.DeepClone().AsObject();
        respelled["ipAddress"] = "2001:0DB8:0000:0000:0000:0000:0000:0007";
        respelled["httpMethod"] = "get";
        respelled["latencyMs"] = JsonNode.Parse("1.250e1");

        using var retry = await client.PostEntryAsync(respelled, key);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.True(retry.Headers.Contains(ReplayedHeader));
        var replayed = await retry.ReadObjectAsync();
        Assert.True(JsonNode.DeepEquals(created, replayed), $"{created.ToJsonString()} != {replayed.ToJsonString()}");
        Assert.Equal(1L, await RowsOfAsync(entry));
    }

    [Fact]
    public async Task Twenty_concurrent_requests_with_one_key_store_one_entry()
    {
        var entry = AuditJson.Minimal();
        var key = NewKey();
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 20).Select(async _ =>
        {
            await start.WaitAsync();
            return await client.PostEntryAsync(entry, key);
        }).ToList();

        start.Release(20);
        var responses = await Task.WhenAll(requests);

        try
        {
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            var ids = await Task.WhenAll(responses.Select(async r => (string?)(await r.ReadObjectAsync())["id"]));
            Assert.Single(ids.Distinct());
            Assert.Single(responses, r => !r.Headers.Contains(ReplayedHeader));
            Assert.Equal(1L, await RowsOfAsync(entry));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Different_keys_store_separate_entries()
    {
        var entry = AuditJson.Minimal();

        var first = await client.CreateAsync(entry, NewKey());
        var second = await client.CreateAsync(entry, NewKey());

        Assert.NotEqual((string?)first["id"], (string?)second["id"]);
        Assert.Equal(2L, await RowsOfAsync(entry));
    }

    [Fact]
    public async Task Entry_id_of_a_key_is_stable_across_releases()
    {
        // A client retrying across an Argus upgrade must land on the same id, so the derivation of
        // ids from keys is pinned. This database is the class's own: the fixed key is free.
        var created = await client.CreateAsync(AuditJson.Minimal(), "order-42");

        Assert.Equal("862160ff-2450-8927-b3a3-dd1110f38839", (string?)created["id"]);
    }

    [Fact]
    public async Task Identical_retry_of_metadata_with_a_repeated_key_gets_the_same_answer()
    {
        var actor = "idempotency-" + Guid.NewGuid().ToString("N");
        var key = NewKey();
        var body = AuditJson.Minimal(actor).ToJsonString()[..^1] + """, "requestMetadata": {"k": 1, "k": 2}}""";

        using var first = await client.PostEntryAsync(AuditJson.Content(body), key);
        using var retry = await client.PostEntryAsync(AuditJson.Content(body), key);

        // Whatever Argus decides about repeated keys (refuse them, or keep one), a retry must be answered as the original was.
        var (a, b) = (await first.ReadObjectAsync(), await retry.ReadObjectAsync());
        Assert.True(first.StatusCode == retry.StatusCode, $"first {(int)first.StatusCode} {a.ToJsonString()}, retry {(int)retry.StatusCode} {b.ToJsonString()}");
        Assert.Equal((string?)a["id"], (string?)b["id"]);
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actor) <= 1);
    }

    [Fact]
    public async Task Traceparent_supplies_the_trace_when_the_body_has_none()
    {
        var entry = AuditJson.Minimal();

        using var response = await client.PostEntryAsync(entry, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("4bf92f35-77b3-4da6-a3ce-929d0e0e4736", (string?)(await response.ReadObjectAsync())["traceId"]);
        Assert.Equal(Guid.Parse("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"), await StoredTraceIdAsync(entry));
    }

    [Fact]
    public async Task Trace_in_the_body_wins_over_traceparent()
    {
        var trace = Guid.NewGuid();
        var entry = AuditJson.Minimal();
        entry["traceId"] = trace.ToString();

        using var response = await client.PostEntryAsync(entry, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(trace.ToString(), (string?)(await response.ReadObjectAsync())["traceId"]);
        Assert.Equal(trace, await StoredTraceIdAsync(entry));
    }

    [Fact]
    public async Task Body_trace_given_as_null_falls_back_to_traceparent()
    {
        var entry = AuditJson.Minimal();
        entry["traceId"] = null;

        using var response = await client.PostEntryAsync(entry, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(Guid.Parse("0af76519-16cd-43dd-8448-eb211c80319c"), await StoredTraceIdAsync(entry));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736x00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01")]
    public async Task Invalid_traceparent_is_ignored(string traceparent)
    {
        var entry = AuditJson.Minimal();

        using var response = await client.PostEntryAsync(entry, traceparent: traceparent);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False((await response.ReadObjectAsync()).ContainsKey("traceId"));
        Assert.Null(await StoredTraceIdAsync(entry));
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-zzzzzzzzzzzzzzzz-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz")]
    public async Task Traceparent_with_an_invalid_parent_or_flags_is_ignored(string traceparent)
    {
        var entry = AuditJson.Minimal();

        using var response = await client.PostEntryAsync(entry, traceparent: traceparent);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Null(await StoredTraceIdAsync(entry));
    }

    [Fact]
    public async Task Idempotent_retry_with_traceparent_lands_on_the_same_trace()
    {
        var entry = AuditJson.Minimal();
        var key = NewKey();
        const string Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        using var first = await client.PostEntryAsync(entry, key, Traceparent);
        using var retry = await client.PostEntryAsync(entry, key, Traceparent);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.True(retry.Headers.Contains(ReplayedHeader));
        Assert.Equal((string?)(await first.ReadObjectAsync())["id"], (string?)(await retry.ReadObjectAsync())["id"]);
        Assert.Equal(1L, await RowsOfAsync(entry));
    }

    private static string NewKey() => "key-" + Guid.NewGuid().ToString("N");

    private static JsonObject WithRequestContext(JsonObject entry)
    {
        entry["source"] = "urn:billing-api";
        entry["tenantId"] = "tenant-a";
        entry["requestId"] = "req-1";
        entry["ipAddress"] = "2001:db8::7";
        entry["userAgent"] = "curl/8.5.0";
        entry["httpMethod"] = "GET";
        entry["httpPath"] = "/v1/orders/7";
        entry["httpStatus"] = 200;
        entry["latencyMs"] = 12.5;
        return entry;
    }

    private Task<long> RowsOfAsync(JsonObject entry) =>
        fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", (string)entry["actorId"]!);

    /// <summary>The trace of the entry's one stored row.</summary>
    private async Task<Guid?> StoredTraceIdAsync(JsonObject entry)
    {
        Assert.Equal(1L, await RowsOfAsync(entry));
        var trace = await fixture.Database.ScalarAsync<object>("SELECT trace_id FROM audit_logs WHERE actor_id = $1", (string)entry["actorId"]!);
        return trace is Guid guid ? guid : null;
    }
}
