using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>Every example of the Argus API reference works as documented.</summary>
public sealed class SeedExamplesTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Post_example_returns_201_with_the_stored_entry()
    {
        var response = await client.PostAsync("/api/audit-logs", AuditJson.Content(AuditJson.SeedExample));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadObjectAsync();
        Assert.True(Guid.TryParse((string?)body["id"], out var id));
        Assert.Equal("550e8400-e29b-41d4-a716-446655440000", (string?)body["traceId"]);
        Assert.Equal("2024-01-20T10:00:00Z", (string?)body["timestamp"]);
        Assert.Equal("MANAGEMENT_EVENT", (string?)body["eventType"]);
        Assert.Equal("READ", (string?)body["eventAction"]);
        Assert.Equal("SUCCESS", (string?)body["status"]);
        Assert.Equal("SERVICE", (string?)body["actorType"]);
        Assert.Equal("my-service", (string?)body["actorId"]);
        Assert.Equal("SERVICE", (string?)body["targetType"]);
        Assert.Equal("target-service", (string?)body["targetId"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"schemaId": "schema-123"}"""), body["requestMetadata"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"decision": "ALLOWED"}"""), body["responseMetadata"]));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$", (string?)body["createdAt"]);
        Assert.Equal($"/api/audit-logs/{id}", response.Headers.Location?.OriginalString);

        // Acknowledged means stored: the row is there the moment the 201 arrives.
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", id));

        // The Location leads to the entry, exactly as acknowledged.
        var fetched = await client.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.True(JsonNode.DeepEquals(body, await fetched.ReadObjectAsync()));
    }

    [Fact]
    public async Task Fetching_one_entry_answers_404_when_absent_and_400_for_a_malformed_id()
    {
        var absent = await client.GetAsync($"/api/audit-logs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        Assert.Equal("id", (string?)(await absent.ReadObjectAsync())["field"]);

        var malformed = await client.GetAsync("/api/audit-logs/not-a-uuid");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("id", (string?)(await malformed.ReadObjectAsync())["field"]);
    }

    [Fact]
    public async Task Get_examples_filter_and_page_as_documented()
    {
        var traceId = Guid.NewGuid();
        var example = JsonNode.Parse(AuditJson.SeedExample)!.AsObject();
        example["traceId"] = traceId.ToString();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/audit-logs", AuditJson.Content(example))).StatusCode);
        }

        var all = await (await client.GetAsync("/api/audit-logs")).ReadObjectAsync();
        Assert.Equal(100, (int)all["limit"]!);
        Assert.Equal(0, (int)all["offset"]!);
        Assert.True((long)all["total"]! >= 3);

        var byTrace = await (await client.GetAsync($"/api/audit-logs?traceId={traceId}")).ReadObjectAsync();
        Assert.Equal(3L, (long)byTrace["total"]!);
        Assert.All(byTrace["logs"]!.AsArray(), log => Assert.Equal(traceId.ToString(), (string?)log!["traceId"]));

        var byType = await (await client.GetAsync("/api/audit-logs?eventType=MANAGEMENT_EVENT")).ReadObjectAsync();
        Assert.All(byType["logs"]!.AsArray(), log => Assert.Equal("MANAGEMENT_EVENT", (string?)log!["eventType"]));

        var multi = await client.GetAsync($"/api/audit-logs?eventType=MANAGEMENT_EVENT&status=SUCCESS&limit=2&offset=0&traceId={traceId}");
        Assert.Equal(HttpStatusCode.OK, multi.StatusCode);
        var page = await multi.ReadObjectAsync();
        Assert.Equal(2, page["logs"]!.AsArray().Count);
        Assert.Equal(3L, (long)page["total"]!);
        Assert.Equal(2, (int)page["limit"]!);

        var second = await (await client.GetAsync($"/api/audit-logs?traceId={traceId}&limit=2&offset=2")).ReadObjectAsync();
        Assert.Single(second["logs"]!.AsArray());
    }

    [Fact]
    public async Task Health_reports_healthy_while_postgres_answers()
    {
        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadObjectAsync();
        Assert.Equal("argus", (string?)body["service"]);
        Assert.Equal("healthy", (string?)body["status"]);
    }

    [Fact]
    public async Task Version_reports_the_build()
    {
        var body = await (await client.GetAsync("/version")).ReadObjectAsync();

        Assert.Equal("argus", (string?)body["service"]);
        Assert.Matches(@"^\d+\.\d+\.\d+", (string?)body["version"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)body["buildTime"]);
        Assert.False(string.IsNullOrEmpty((string?)body["gitCommit"]));
    }
}
