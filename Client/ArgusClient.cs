using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Microsoft.Extensions.Options;

namespace Argus.Client;

/// <summary>
/// Appends audit entries and reads pages (or walks every match by cursor) over the Argus HTTP API. Every append carries an
/// <c>Idempotency-Key</c> (the caller's, or one made per call), so retrying after a 503 or a
/// dropped connection can never store an entry twice.
/// </summary>
public sealed class ArgusClient(HttpClient http, IOptions<ArgusClientOptions> options, TimeProvider time)
{
    private readonly ArgusClientOptions options = options.Value;

    /// <summary>
    /// Stores <paramref name="entry"/> (its <see cref="AuditEntry.Id"/> and
    /// <see cref="AuditEntry.CreatedAt"/> are ignored: Argus sets them) and returns it as stored.
    /// </summary>
    public async Task<AuditEntry> AppendAsync(AuditEntry entry, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        idempotencyKey ??= Guid.NewGuid().ToString("N");
        var body = Serialize(entry);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/audit-logs")
            {
                Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } },
            };
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < options.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt, null), time, cancellationToken);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new ArgusClientException($"Argus at {http.BaseAddress} could not be reached: {e.Message}", inner: e);
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return await ReadEntryAsync(response, cancellationToken);
                }

                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < options.MaxAttempts)
                {
                    await Task.Delay(Backoff(attempt, response.Headers.RetryAfter?.Delta), time, cancellationToken);
                    continue;
                }

                throw await ErrorAsync(response, cancellationToken);
            }
        }
    }

    /// <summary>
    /// One page of entries matching <paramref name="query"/>, newest first, with the exact total
    /// (unless skipped: see <see cref="AuditQuery.IncludeTotal"/>) and the next page's cursor.
    /// </summary>
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync("api/audit-logs" + ToQueryString(query), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken);
        }

        return (await response.Content.ReadFromJsonAsync(ArgusJsonContext.Default.AuditPage, cancellationToken))!;
    }

    /// <summary>The trace as a timeline: its first <paramref name="limit"/> entries, oldest first, and a summary of the whole trace; null when no entry has this trace id.</summary>
    public async Task<TraceTimeline?> GetTraceAsync(Guid traceId, int limit = ReportLimits.DefaultTraceLimit, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(TracePath(traceId, limit), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return await ReadAsync(response, ArgusJsonContext.Default.TraceTimeline, cancellationToken);
    }

    /// <summary>Counts of the entries in the query's time range: in all, and by status, event type, actor type and event action.</summary>
    public async Task<AuditStats> GetStatsAsync(AuditStatsQuery query, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(StatsPath(query), cancellationToken);
        return await ReadAsync(response, ArgusJsonContext.Default.AuditStats, cancellationToken);
    }

    /// <summary>The distinct event types stored.</summary>
    public async Task<EventTypeList> GetEventTypesAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(EventTypesPath, cancellationToken);
        return await ReadAsync(response, ArgusJsonContext.Default.EventTypeList, cancellationToken);
    }

    internal const string EventTypesPath = "api/audit-logs/event-types";

    internal static string TracePath(Guid traceId, int limit) =>
        "api/traces/" + traceId.ToString("D") + "?limit=" + limit.ToString(CultureInfo.InvariantCulture);

    internal static string StatsPath(AuditStatsQuery query)
    {
        var parameters = new QueryString();
        parameters.Add("since", query.Since is { } since ? Rfc3339.Format(since) : null);
        parameters.Add("until", query.Until is { } until ? Rfc3339.Format(until) : null);
        parameters.Add("tenantId", query.TenantId);
        return "api/audit-logs/stats" + parameters;
    }

    /// <summary>
    /// Every entry matching <paramref name="query"/>, newest first: the first page from the query's
    /// offset or cursor, then page after page by <see cref="AuditPage.NextCursor"/>. Entries
    /// appended meanwhile never shift the walk: each entry stored before it began is returned
    /// exactly once, and none twice. Totals are not computed.
    /// </summary>
    public async IAsyncEnumerable<AuditEntry> QueryAllAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = query with { IncludeTotal = false };
        while (true)
        {
            var page = await QueryAsync(next, cancellationToken);
            foreach (var entry in page.Logs)
            {
                yield return entry;
            }

            if (page.NextCursor is null)
            {
                yield break;
            }

            next = next with { Cursor = page.NextCursor, Offset = 0 };
        }
    }

    internal static string ToQueryString(AuditQuery query)
    {
        var parts = new QueryString();
        parts.Add("traceId", query.TraceId?.ToString());
        parts.Add("eventType", query.EventType);
        parts.Add("eventAction", query.EventAction?.ToWire());
        parts.Add("status", query.Status?.ToWire());
        parts.Add("actorType", query.ActorType?.ToWire());
        parts.Add("actorId", query.ActorId);
        parts.Add("targetType", query.TargetType?.ToWire());
        parts.Add("targetId", query.TargetId);
        parts.Add("source", query.Source);
        parts.Add("tenantId", query.TenantId);
        parts.Add("requestId", query.RequestId);
        parts.Add("ipAddress", query.IpAddress);
        parts.Add("httpMethod", query.HttpMethod);
        parts.Add("httpPath", query.HttpPath);
        parts.Add("httpStatus", query.HttpStatus?.ToString(CultureInfo.InvariantCulture));
        parts.Add("partnerId", query.PartnerId);
        parts.Add("actorEmail", query.ActorEmail);
        parts.Add("resourceType", query.ResourceType);
        parts.Add("since", query.Since is { } since ? Rfc3339.Format(since) : null);
        parts.Add("until", query.Until is { } until ? Rfc3339.Format(until) : null);
        parts.Add("limit", query.Limit.ToString(CultureInfo.InvariantCulture));
        parts.Add("offset", query.Offset.ToString(CultureInfo.InvariantCulture));
        parts.Add("cursor", query.Cursor);
        parts.Add("includeTotal", query.IncludeTotal is { } includeTotal ? (includeTotal ? "true" : "false") : null);
        return parts.ToString();
    }

    private static byte[] Serialize(AuditEntry entry)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            AuditEntryJson.Write(writer, entry);
        }

        return buffer.ToArray();
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken);
        }

        return (await response.Content.ReadFromJsonAsync(type, cancellationToken))!;
    }

    private static async Task<AuditEntry> ReadEntryAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await response.Content.ReadFromJsonAsync(ArgusJsonContext.Default.AuditEntry, cancellationToken))!;

    private static async Task<ArgusClientException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var error = JsonSerializer.Deserialize(text, ArgusJsonContext.Default.ErrorResponse);
            return new ArgusClientException(error?.Error ?? text, response.StatusCode, error?.Field);
        }
        catch (JsonException)
        {
            return new ArgusClientException($"Argus answered {(int)response.StatusCode}: {text}", response.StatusCode);
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = TimeSpan.FromMilliseconds(50 * Math.Pow(2, attempt - 1));
        var wait = retryAfter ?? exponential;
        return wait < options.MaxBackoff ? wait : options.MaxBackoff;
    }
}
