using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Argus.Gateway.Tests;

/// <summary>The OpenAPI document is generated from the code and covers every public route with its status codes.</summary>
public sealed class OpenApiTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    [Theory]
    [InlineData("/openapi.json")]
    [InlineData("/v1/auditmanager/openapi.json")]
    public async Task Every_public_route_appears_with_every_status_code_it_declares(string documentPath)
    {
        var document = JsonNode.Parse(await fixture.Client.GetStringAsync(documentPath))!;
        Assert.StartsWith("3.1", (string?)document["openapi"]);
        var paths = document["paths"]!.AsObject();

        var routes = fixture.Node.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Where(e => !e.RoutePattern.RawText!.EndsWith("openapi.json", StringComparison.Ordinal))
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .ToList();
        Assert.True(routes.Count >= 10, $"only {routes.Count} routes found");
        Assert.DoesNotContain(paths, p => p.Key.StartsWith("/internal/", StringComparison.Ordinal));

        foreach (var route in routes)
        {
            var path = "/" + route.RoutePattern.RawText!.Trim('/');
            var operations = paths[path]?.AsObject();
            Assert.True(operations is not null, $"{path} is missing from {documentPath}");
            foreach (var method in route.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                var operation = operations![method.ToLowerInvariant()];
                Assert.True(operation is not null, $"{method} {path} is missing from {documentPath}");
                var declared = route.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(p => p.StatusCode.ToString()).ToHashSet();
                Assert.NotEmpty(declared);
                var documented = operation!["responses"]!.AsObject().Select(r => r.Key).ToHashSet();
                Assert.True(declared.SetEquals(documented), $"{method} {path}: declared [{string.Join(",", declared)}], documented [{string.Join(",", documented)}]");
            }
        }
    }

    [Fact]
    public async Task Entries_have_a_described_schema_and_the_create_operation_a_request_body()
    {
        var document = JsonNode.Parse(await fixture.Client.GetStringAsync("/openapi.json"))!;

        var entry = document["components"]!["schemas"]!["AuditEntry"]!;
        Assert.Equal(["SUCCESS", "FAILURE"], entry["properties"]!["status"]!["enum"]!.AsArray().Select(n => (string?)n));
        var body = document["paths"]!["/api/audit-logs"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        Assert.Contains("actorId", body["required"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public async Task Request_context_fields_and_filters_are_described()
    {
        var document = JsonNode.Parse(await fixture.Client.GetStringAsync("/openapi.json"))!;
        string[] fields = ["source", "tenantId", "requestId", "ipAddress", "userAgent", "httpMethod", "httpPath", "httpStatus", "latencyMs"];

        var stored = document["components"]!["schemas"]!["AuditEntry"]!["properties"]!.AsObject();
        var request = document["paths"]!["/api/audit-logs"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!.AsObject();
        Assert.All(fields, f => Assert.True(stored.ContainsKey(f) && request.ContainsKey(f), $"{f} is not described"));
        Assert.Equal("integer", (string?)stored["httpStatus"]!["type"]);
        Assert.Equal("number", (string?)stored["latencyMs"]!["type"]);
        string[] entryFields = ["resourceType", "partnerId", "actorEmail", "role", "namespace", "eventGroup", "sessionId", "correlationId",
            "userId", "vmId", "taskId", "nodeIp", "workerId", "errorMessage"];
        Assert.All(entryFields, f => Assert.True(stored.ContainsKey(f) && request.ContainsKey(f), $"{f} is not described"));
        Assert.Equal("integer", (string?)stored["userId"]!["type"]);
        Assert.Equal("int64", (string?)stored["taskId"]!["format"]);

        var parameters = document["paths"]!["/api/audit-logs"]!["get"]!["parameters"]!.AsArray()
            .Select(p => ((string?)p!["name"], (string?)p["in"])).ToList();
        Assert.All(
            ["traceId", "eventType", "status", "actorId", "since", "until", "limit", "offset",
             "source", "tenantId", "requestId", "ipAddress", "httpMethod", "httpPath", "httpStatus", "partnerId", "actorEmail", "resourceType"],
            name => Assert.Contains((name, "query"), parameters));
    }

    [Theory]
    [InlineData("/docs/index.html")]
    [InlineData("/v1/auditmanager/docs/index.html")]
    public async Task Interactive_docs_are_served(string path)
    {
        var response = await fixture.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
