using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>What a new user meets first: the root, readable errors, every missing field named, the API document's headers, the CloudEvents envelope and reference.</summary>
public sealed class FirstUseTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task The_root_points_to_the_docs_and_the_api_without_a_credential()
    {
        using var anonymous = fixture.Node.CreateAnonymousClient();
        using var response = await anonymous.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var index = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("/docs", (string?)index["docs"]);
        Assert.Equal("/openapi.json", (string?)index["openapi"]);
        Assert.Equal("/api/audit-logs", (string?)index["api"]);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync((string)index["docs"]! + "/index.html")).StatusCode);
    }

    [Fact]
    public async Task A_body_missing_several_required_fields_names_them_all_in_plain_characters()
    {
        using var response = await client.PostEntryAsync(JsonNode.Parse("""{"eventType": "LOGIN", "actorId": "a"}""")!);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        // Read raw, as a person with curl reads it: quotes are quotes, not \u0027.
        Assert.Contains("fields 'timestamp', 'status', 'actorType', 'targetType' are required", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", raw, StringComparison.Ordinal);
        Assert.Equal("timestamp", (string?)JsonNode.Parse(raw)!["field"]);
    }

    [Fact]
    public async Task An_empty_body_is_called_empty()
    {
        using var response = await client.PostEntryAsync(new StringContent("", System.Text.Encoding.UTF8, "application/json"));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body", messageNamesField: false);
        Assert.Contains("request body is empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_document_declares_the_idempotency_and_trace_context_headers()
    {
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi.json"))!;
        var parameters = document["paths"]!["/api/audit-logs"]!["post"]!["parameters"]!.AsArray()
            .Select(p => ((string?)p!["name"], (string?)p["in"])).ToList();

        Assert.Contains(("Idempotency-Key", "header"), parameters);
        Assert.Contains(("traceparent", "header"), parameters);
    }

    [Fact]
    public async Task The_cloudevents_reference_is_served_at_redoc()
    {
        using var anonymous = fixture.Node.CreateAnonymousClient();
        using var response = await anonymous.GetAsync("/v1/auditmanager/redoc/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Argus audit manager (CloudEvents)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cloudevents_envelope_id_is_a_setting()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Gateway:CloudEventsEnvelopeId"] = "openg2p.auditmanager",
        });

        var health = JsonNode.Parse(await node.Client.GetStringAsync("/v1/auditmanager/version"))!;
        Assert.Equal("openg2p.auditmanager", (string?)health["id"]);
        var standard = JsonNode.Parse(await client.GetStringAsync("/v1/auditmanager/version"))!;
        Assert.Equal("argus.auditmanager", (string?)standard["id"]);
    }
}
