using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Argus.TestInfrastructure;

/// <summary>Calls of the CloudEvents API (<c>/v1/auditmanager</c>) as the tests make them.</summary>
public static class CloudEventRequests
{
    public const string EventsPath = "/v1/auditmanager/events";

    public const string BatchPath = "/v1/auditmanager/events/batch";

    public const string StructuredType = "application/cloudevents+json";

    public const string BatchType = "application/cloudevents-batch+json";

    /// <summary>A valid CloudEvent with a unique <c>id</c> and <c>source</c> (the source becomes the entry's actorId).</summary>
    public static JsonObject Event(string? source = null, string? id = null, string time = "2024-01-20T10:00:00Z") => new()
    {
        ["specversion"] = "1.0",
        ["id"] = id ?? "event-" + Guid.NewGuid().ToString("N"),
        ["source"] = source ?? NewSource(),
        ["type"] = "com.example.audit.record.read",
        ["time"] = time,
    };

    public static string NewSource() => "urn:test:source:" + Guid.NewGuid().ToString("N");

    /// <summary>Bytes with exactly this Content-Type (no charset added), or none when null.</summary>
    public static ByteArrayContent Content(string body, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return content;
    }

    /// <summary>POST one event in structured mode.</summary>
    public static Task<HttpResponseMessage> PostEventAsync(this HttpClient client, JsonNode cloudEvent, string? contentType = StructuredType, string? traceparent = null) =>
        client.PostEventAsync(cloudEvent.ToJsonString(), contentType, traceparent);

    public static Task<HttpResponseMessage> PostEventAsync(this HttpClient client, string body, string? contentType = StructuredType, string? traceparent = null) =>
        client.PostEventAsync(Content(body, contentType), traceparent: traceparent);

    /// <summary>POST one event with any content and extra headers (binary mode: <c>ce-*</c>).</summary>
    public static Task<HttpResponseMessage> PostEventAsync(this HttpClient client, HttpContent content, IEnumerable<KeyValuePair<string, string>>? headers = null, string? traceparent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, EventsPath) { Content = content };
        foreach (var (name, value) in headers ?? [])
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value), $"header {name}");
        }

        if (traceparent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostBatchAsync(this HttpClient client, JsonNode batch, string? contentType = BatchType) =>
        client.PostBatchAsync(batch.ToJsonString(), contentType);

    public static Task<HttpResponseMessage> PostBatchAsync(this HttpClient client, string body, string? contentType = BatchType) =>
        client.PostAsync(BatchPath, Content(body, contentType));

    /// <summary>
    /// Checks a single event's acknowledgement: 202, exactly <c>{"id", "entryId", "duplicate"}</c>
    /// and a Location leading to the entry. Returns the entry id and whether it was a replay.
    /// </summary>
    public static async Task<(Guid EntryId, bool Duplicate)> AssertAcceptedAsync(HttpResponseMessage response, string expectedId)
    {
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Equal(["duplicate", "entryId", "id"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(expectedId, (string?)body["id"]);
        var entryId = Guid.Parse((string)body["entryId"]!);
        Assert.Equal($"/api/audit-logs/{entryId}", response.Headers.Location?.OriginalString);
        return (entryId, (bool)body["duplicate"]!);
    }

    /// <summary>The entry as GET /api/audit-logs/{id} returns it, which must be 200.</summary>
    public static async Task<JsonObject> GetEntryAsync(this HttpClient client, Guid entryId)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}/{entryId}");
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET entry {entryId}: expected 200, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>Rows stored for a CloudEvent source (the actorId unless an actorid extension overrides it).</summary>
    public static Task<long> RowsOfSourceAsync(this TestDatabase database, string source) =>
        database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", source);

    /// <summary>Rows stored for a CloudEvent id (kept in requestMetadata.cloudevent).</summary>
    public static Task<long> RowsOfEventIdAsync(this TestDatabase database, string id) =>
        database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE request_metadata -> 'cloudevent' ->> 'id' = $1", id);
}
