using System.Collections.Concurrent;
using System.Net;
using Xunit;

namespace Argus.TestInfrastructure;

/// <summary>
/// Writers posting single entries, each on a trace of its own (so they spread over every
/// partition), as fast as they are answered, until stopped: what was acknowledged, what was
/// refused and how, for the exactly-once checks after a fault.
/// </summary>
public sealed class IngestLoad : IAsyncDisposable
{
    private readonly ConcurrentBag<Guid> acknowledged = [];
    private readonly ConcurrentBag<string> refused = [];
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> writers;
    private readonly SemaphoreSlim progress = new(0);

    private IngestLoad(HttpClient client, int writers, string actor)
    {
        this.writers = Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(client, $"{actor}-{w}"))).ToList();
    }

    public IReadOnlyCollection<Guid> Acknowledged => acknowledged;

    /// <summary>Every answer other than 201, as "status: error" (or the exception's message).</summary>
    public IReadOnlyCollection<string> Refused => refused;

    public static IngestLoad Start(HttpClient client, int writers, string actor) => new(client, writers, actor);

    /// <summary>Waits until <paramref name="more"/> entries more than now have been acknowledged.</summary>
    public async Task WaitForMoreAsync(int more, TimeSpan timeout, string phase)
    {
        var target = acknowledged.Count + more;
        using var deadline = new CancellationTokenSource(timeout);
        while (acknowledged.Count < target)
        {
            try
            {
                await progress.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{phase}: only {acknowledged.Count} of {target} entries acknowledged within {timeout}; refusals: {string.Join(" | ", refused.Take(5))}");
            }
        }
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(writers);
    }

    /// <summary>Every acknowledged entry is stored exactly once, and nothing is stored twice.</summary>
    public async Task AssertStoredExactlyOnceAsync(TestDatabase database)
    {
        var ids = acknowledged.ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal((long)ids.Length, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", ids));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) - count(DISTINCT id) FROM audit_logs"));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
        progress.Dispose();
    }

    private async Task WriteAsync(HttpClient client, string actor)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var body = AuditJson.Minimal($"{actor}-{i}");
            body["traceId"] = Guid.NewGuid().ToString();
            try
            {
                using var response = await client.PostAsync(AuditApi.Path, AuditJson.Content(body), stop.Token);
                var answer = await response.ReadObjectAsync();
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    acknowledged.Add(Guid.Parse((string)answer["id"]!));
                    progress.Release();
                }
                else
                {
                    refused.Add($"{(int)response.StatusCode}: {(string?)answer["error"]}");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or IOException)
            {
                refused.Add("no answer: " + e.Message);
            }
        }
    }
}
