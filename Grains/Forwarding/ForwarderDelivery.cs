using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;

namespace Argus.Grains.Forwarding;

/// <summary>What a receiver made of one post.</summary>
public enum DeliveryOutcome
{
    /// <summary>2xx: taken.</summary>
    Delivered,

    /// <summary>A 4xx other than 408 and 429: this batch will not be taken however often it is sent.</summary>
    Refused,

    /// <summary>Anything else (5xx, 408, 429, no answer): worth sending again later.</summary>
    Failed,
}

/// <summary>Posts a batch of entries, as a JSON array written as the Argus API writes entries, to a forwarder's receiver.</summary>
public static class ForwarderDelivery
{
    public const string ForwarderHeader = "Argus-Forwarder";

    public static string ToJson(IReadOnlyList<AuditEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, ArgusJsonContext.WebWriter))
        {
            writer.WriteStartArray();
            foreach (var entry in entries)
            {
                AuditEntryJson.Write(writer, entry);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static async Task<(DeliveryOutcome Outcome, int? Status, string Error)> PostAsync(
        HttpClient http, ForwarderDefinition forwarder, string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, forwarder.Url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(ForwarderHeader, forwarder.Name);
        if (forwarder.Secret is { } secret)
        {
            request.Headers.TryAddWithoutValidation(forwarder.SecretHeader, secret);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(forwarder.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return (DeliveryOutcome.Delivered, status, "");
            }

            var body = await ReadSomeAsync(response, timeout.Token);
            var refused = status is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);
            return (refused ? DeliveryOutcome.Refused : DeliveryOutcome.Failed, status, $"HTTP {status}: {body}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (DeliveryOutcome.Failed, null, e is OperationCanceledException ? $"no answer within {forwarder.Timeout.TotalSeconds:0} s" : e.Message);
        }
    }

    private static async Task<string> ReadSomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return text.Length <= 512 ? text : text[..512];
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return "";
        }
    }
}
