using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Argus.TestInfrastructure;

/// <summary>
/// A forwarder's receiver on a real port: records every batch posted to it (the entries' ids in
/// arrival order, repeats included) and answers as told: accept (204), fail (503), or refuse (400).
/// </summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Guid> arrivals = new();
    private int attempts;

    private TestReceiver(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public enum Answer
    {
        Accept,
        Fail,
        Refuse,
    }

    public Uri Url { get; }

    public Answer Mode { get; set; } = Answer.Accept;

    /// <summary>Posts answered, whatever the answer.</summary>
    public int Attempts => Volatile.Read(ref attempts);

    /// <summary>The headers of the last post.</summary>
    public IReadOnlyDictionary<string, string> LastHeaders { get; private set; } = new Dictionary<string, string>();

    /// <summary>Ids of the entries taken (answered 204), in arrival order, repeats included.</summary>
    public IReadOnlyList<Guid> Received => [.. arrivals];

    public static async Task<TestReceiver> StartAsync()
    {
        var port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new TestReceiver(app, new Uri($"http://127.0.0.1:{port}/ingest"));
        app.MapPost("/ingest", (Delegate)receiver.TakeAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task<IResult> TakeAsync(HttpContext context)
    {
        Interlocked.Increment(ref attempts);
        LastHeaders = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        switch (Mode)
        {
            case Answer.Fail:
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            case Answer.Refuse:
                return Results.BadRequest(new { error = "refused by the test" });
        }

        foreach (var entry in body.RootElement.EnumerateArray())
        {
            arrivals.Enqueue(entry.GetProperty("id").GetGuid());
        }

        return Results.NoContent();
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
