using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Argus.TestInfrastructure;

/// <summary>Valid audit entries as JSON, to send as they are or to spoil one field at a time.</summary>
public static class AuditJson
{
    /// <summary>The request of the Argus API reference's POST example.</summary>
    public const string SeedExample = """
        {
        "traceId": "550e8400-e29b-41d4-a716-446655440000",
        "timestamp": "2024-01-20T10:00:00Z",
        "eventType": "MANAGEMENT_EVENT",
        "eventAction": "READ",
        "status": "SUCCESS",
        "actorType": "SERVICE",
        "actorId": "my-service",
        "targetType": "SERVICE",
        "targetId": "target-service",
        "requestMetadata": {"schemaId": "schema-123"},
        "responseMetadata": {"decision": "ALLOWED"}
        }
        """;

    /// <summary>A minimal valid entry (required fields only) with a unique actor.</summary>
    public static JsonObject Minimal(string? actorId = null, string timestamp = "2024-01-20T10:00:00Z") => new()
    {
        ["timestamp"] = timestamp,
        ["status"] = "SUCCESS",
        ["actorType"] = "SERVICE",
        ["actorId"] = actorId ?? "actor-" + Guid.NewGuid().ToString("N"),
        ["targetType"] = "RESOURCE",
    };

    public static StringContent Content(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    public static StringContent Content(JsonNode json) => Content(json.ToJsonString());

    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!.AsObject();

    public static async Task<JsonElement> ReadElementAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();
}
