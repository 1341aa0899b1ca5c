using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>Calls of the admin key API and of the API with a given key, as these tests make them.</summary>
internal static class KeyCalls
{
    public const string Path = "/api/admin/keys";

    public static Task<HttpResponseMessage> PostKeyAsync(this HttpClient client, string name, string[] scopes, string? tenant = null)
    {
        var body = new JsonObject { ["name"] = name, ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode)s!).ToArray()) };
        if (tenant is not null)
        {
            body["tenantId"] = tenant;
        }

        return client.PostAsync(Path, AuditJson.Content(body));
    }

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string json) =>
        client.PostAsync(Path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static HttpClient WithKey(this ArgusTestNode node, string key)
    {
        var client = node.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    /// <summary>The status a read with this client gets (200 while its key works, 401 once refused).</summary>
    public static async Task<System.Net.HttpStatusCode> ReadStatusAsync(this HttpClient client)
    {
        using var response = await client.GetAsync("/api/audit-logs?limit=1");
        return response.StatusCode;
    }

    /// <summary>The entries Argus wrote about itself with this event type (and target, if given), newest first.</summary>
    public static async Task<List<JsonObject>> SelfEntriesAsync(this HttpClient client, string eventType, string? targetId = null)
    {
        var query = $"source=argus&eventType={Uri.EscapeDataString(eventType)}&limit=1000"
            + (targetId is null ? "" : "&targetId=" + Uri.EscapeDataString(targetId));
        var page = await client.GetPageAsync(query);
        return page["logs"]!.AsArray().Select(e => e!.AsObject()).ToList();
    }

    public static async Task<JsonObject> ReadJsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!.AsObject();
}
