using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Argus.Grains.Abstractions;
using System.Net.Http.Json;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Serialization;

namespace Argus.Client.Routing;

/// <summary>
/// The silos' internal HTTP contract, used by silos forwarding to one another, by gateways and by
/// in-cluster clients. <c>POST /internal/v1/entries</c> appends an entry (id fixed, so sending it
/// again after any failure is safe: the owner stores it once) and answers 421 when the silo does
/// not own its partition; <c>GET /internal/v1/partitions</c> returns the partition map;
/// <c>POST /internal/v1/query</c> asks an owner for the matches in its partitions (421 when it does
/// not own every one of them).
/// </summary>
public sealed class SiloProtocol(HttpClient http)
{
    public const string EntriesPath = "/internal/v1/entries";

    public const string PartitionsPath = "/internal/v1/partitions";

    public const string QueryPath = "/internal/v1/query";

    /// <summary>Scheme of a silo address served over HTTP/2 without TLS (prior knowledge), e.g. <c>h2c://10.0.0.5:3201</c>.</summary>
    public const string H2cScheme = "h2c";

    /// <summary>
    /// A request to <paramref name="silo"/>: <c>h2c://</c> addresses are spoken to with HTTP/2 and no
    /// fallback (the silo's internal endpoint); <c>http://</c> ones with HTTP/1.1.
    /// </summary>
    public static HttpRequestMessage Request(HttpMethod method, string silo, string pathAndQuery)
    {
        var address = new Uri(silo);
        var h2c = address.Scheme == H2cScheme;
        var target = h2c ? new UriBuilder(address) { Scheme = Uri.UriSchemeHttp }.Uri : address;
        return new HttpRequestMessage(method, new Uri(target, pathAndQuery))
        {
            Version = h2c ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = h2c ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    /// <summary>How long a caller re-routing an append pauses before attempt <paramref name="attempt"/> + 1: 10 ms doubling to 250 ms.</summary>
    public static TimeSpan RetryPause(int attempt, TimeSpan remaining)
    {
        var pause = TimeSpan.FromMilliseconds(Math.Min(250, 10 << Math.Min(attempt, 5)));
        return pause < remaining ? pause : remaining;
    }

    /// <summary>A client for silo-to-silo calls: short connect timeout, many connections per silo.</summary>
    public static SiloProtocol Create(TimeSpan requestTimeout) => new(new HttpClient(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        MaxConnectionsPerServer = 256,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = requestTimeout,
    });

    /// <summary>The partition map as <paramref name="silo"/> sees it, or null when it cannot be reached.</summary>
    public async Task<PartitionMap?> GetPartitionMapAsync(string silo, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, silo, PartitionsPath);
        return await AnswerOrNullAsync(request, ArgusJsonContext.Default.PartitionMap, cancellationToken);
    }

    /// <summary>The owner's answer, or null when it is not the owner (421) or could not be reached: re-route and retry.</summary>
    public async Task<AppendResult?> AppendAsync(string owner, AuditEntry entry, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            AuditEntryJson.Write(writer, entry);
        }

        using var request = Request(HttpMethod.Post, owner, EntriesPath);
        request.Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

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

    /// <summary>
    /// The owner's matches in the partitions of <paramref name="query"/>, or null when it does not
    /// own every one of them (421), failed, or could not be reached: read them elsewhere.
    /// Cancelling <paramref name="cancellationToken"/> (a deadline) throws.
    /// </summary>
    public async Task<PartitionRows?> QueryAsync(string owner, PartitionQuery query, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, owner, QueryPath);
        request.Content = JsonContent.Create(query, ArgusJsonContext.Default.PartitionQuery);
        return await AnswerOrNullAsync(request, ArgusJsonContext.Default.PartitionRows, cancellationToken);
    }

    /// <summary>
    /// The silo's JSON answer to <paramref name="request"/>, or null when it answered with an error
    /// status, sent something unreadable, or could not be reached in time. Only cancelling
    /// <paramref name="cancellationToken"/> throws.
    /// </summary>
    private async Task<T?> AnswerOrNullAsync<T>(HttpRequestMessage request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync(type, cancellationToken) : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
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
