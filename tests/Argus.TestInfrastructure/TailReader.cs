using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Argus.TestInfrastructure;

/// <summary>One Server-Sent Event of the live tail.</summary>
public sealed record TailEvent(string Event, string? Id, string Data)
{
    public JsonObject Json => JsonNode.Parse(Data)!.AsObject();
}

/// <summary>
/// A client of <c>GET /api/audit-logs/tail</c>: opens the stream and reads its events one at a
/// time, as an EventSource would (comments are counted, not returned).
/// </summary>
public sealed class TailReader : IAsyncDisposable
{
    public const string Path = "/api/audit-logs/tail";

    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;

    private TailReader(HttpResponseMessage response, StreamReader reader)
    {
        this.response = response;
        this.reader = reader;
    }

    /// <summary>Comment lines (heartbeats) read so far.</summary>
    public int Comments { get; private set; }

    /// <summary>Opens the tail; <paramref name="query"/> without '?', <paramref name="lastEventId"/> sent as Last-Event-ID.</summary>
    public static async Task<TailReader> OpenAsync(HttpClient client, string query = "", string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, query.Length > 0 ? $"{Path}?{query}" : Path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            Assert.Fail($"tail: expected 200, got {(int)response.StatusCode}: {body}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new TailReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<TailEvent?> NextAsync(CancellationToken cancellationToken)
    {
        string? name = null, id = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0 || name is not null)
                {
                    return new TailEvent(name ?? "message", id, string.Join('\n', data));
                }

                continue;
            }

            if (line[0] == ':')
            {
                Comments++;
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event":
                    name = value;
                    break;
                case "id":
                    id = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
            }
        }

        return null;
    }

    /// <summary>Reads <paramref name="count"/> entry events, failing if the stream ends or <paramref name="timeout"/> passes first.</summary>
    public async Task<List<TailEvent>> ReadEntriesAsync(int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var events = new List<TailEvent>();
        try
        {
            while (events.Count < count)
            {
                var next = await NextAsync(cancel.Token) ?? throw new Xunit.Sdk.XunitException($"the tail ended after {events.Count} of {count} entries");
                Assert.True(next.Event == "entry", $"unexpected event '{next.Event}': {next.Data}");
                events.Add(next);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"the tail sent {events.Count} of {count} entries within {timeout}");
        }

        return events;
    }

    public ValueTask DisposeAsync()
    {
        reader.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }
}
