using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;

namespace Argus.Silo.Routing;

/// <summary>
/// Sends an entry to the silo that owns its partition (<c>POST /internal/v1/entries</c>). The
/// entry's id is fixed, so sending it again after any failure is safe: the owner stores it once.
/// </summary>
internal sealed class EntryForwarder(HttpClient http)
{
    public const string Path = "/internal/v1/entries";

    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The owner's answer, or null when it is not the owner (421) or could not be reached: re-route and retry.</summary>
    public async Task<AppendResult?> AppendAsync(string owner, AuditEntry entry, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            AuditEntryJson.Write(writer, entry);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(owner), Path))
        {
            Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // timed out: the owner may have stored it; the retry is recognised by its id
        }

        using (response)
        {
            var text = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.Created => AppendResult.Stored(ReadEntry(text)),
                HttpStatusCode.OK => AppendResult.Replayed(ReadEntry(text)),
                HttpStatusCode.MisdirectedRequest => null,
                HttpStatusCode.Conflict => AppendResult.Failed(AppendStatus.Conflict, ReadError(text)),
                HttpStatusCode.UnprocessableEntity => AppendResult.Failed(AppendStatus.Rejected, ReadError(text)),
                HttpStatusCode.TooManyRequests => AppendResult.Failed(AppendStatus.Overloaded, ReadError(text)),
                _ => AppendResult.Failed(AppendStatus.Unavailable, ReadError(text)),
            };
        }
    }

    private static AuditEntry ReadEntry(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return AuditEntryJson.ReadStored(ref reader);
    }

    private static string ReadError(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ArgusJsonContext.Default.ErrorResponse)?.Error ?? "the owning silo refused the entry";
        }
        catch (JsonException)
        {
            return "the owning silo refused the entry";
        }
    }
}
