using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Argus.TestInfrastructure;

/// <summary>Calls of the Argus API as the tests make them, with the checks every caller repeats.</summary>
public static class AuditApi
{
    public const string Path = "/api/audit-logs";

    /// <summary>POST one entry, optionally with an <c>Idempotency-Key</c> and a <c>traceparent</c>.</summary>
    public static Task<HttpResponseMessage> PostEntryAsync(this HttpClient client, JsonNode entry, string? idempotencyKey = null, string? traceparent = null) =>
        client.PostEntryAsync(AuditJson.Content(entry), idempotencyKey, traceparent);

    public static Task<HttpResponseMessage> PostEntryAsync(this HttpClient client, HttpContent content, string? idempotencyKey = null, string? traceparent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = content };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (traceparent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        return client.SendAsync(request);
    }

    /// <summary>POSTs an entry that must be accepted; returns the acknowledged entry.</summary>
    public static async Task<JsonObject> CreateAsync(this HttpClient client, JsonNode entry, string? idempotencyKey = null)
    {
        using var response = await client.PostEntryAsync(entry, idempotencyKey);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>POSTs entries concurrently, at most <paramref name="parallelism"/> at a time; returns the acknowledgements in input order.</summary>
    public static async Task<JsonObject[]> CreateAllAsync(this HttpClient client, IReadOnlyList<JsonObject> entries, int parallelism = 32, Func<int, string?>? idempotencyKey = null)
    {
        var results = new JsonObject[entries.Count];
        using var gate = new SemaphoreSlim(parallelism);
        await Task.WhenAll(entries.Select(async (entry, i) =>
        {
            await gate.WaitAsync();
            try
            {
                results[i] = await client.CreateAsync(entry, idempotencyKey?.Invoke(i));
            }
            finally
            {
                gate.Release();
            }
        }));
        return results;
    }

    /// <summary>GET /api/audit-logs with a query string that must be answered 200; returns the page.</summary>
    public static async Task<JsonObject> GetPageAsync(this HttpClient client, string query)
    {
        using var response = await client.GetAsync(Path + "?" + query);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET ?{query}: expected 200, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>
    /// Checks the Argus error shape: the status, <c>{"error": "...", "field": "..."}</c> with the
    /// expected field, and an error message that names the field. Returns the message.
    /// </summary>
    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string field, bool messageNamesField = true)
    {
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (string?)body["error"];
        Assert.False(string.IsNullOrWhiteSpace(error), $"no error message in {body.ToJsonString()}");
        Assert.Equal(field, (string?)body["field"]);
        Assert.Equal(["error", "field"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        if (messageNamesField)
        {
            Assert.Contains(field, error, StringComparison.Ordinal);
        }

        return error;
    }

    /// <summary>The ids of a page's entries, in page order.</summary>
    public static List<string> Ids(this JsonObject page) =>
        page["logs"]!.AsArray().Select(log => (string)log!["id"]!).ToList();

    /// <summary>Entries in the API's order: newest first by timestamp, then by id descending (Postgres uuid order, which is the order of the lower-case text).</summary>
    public static List<JsonObject> InApiOrder(this IEnumerable<JsonObject> entries) =>
        entries
            .OrderByDescending(e => DateTimeOffset.Parse((string)e["timestamp"]!, System.Globalization.CultureInfo.InvariantCulture))
            .ThenByDescending(e => (string)e["id"]!, StringComparer.Ordinal)
            .ToList();
}
