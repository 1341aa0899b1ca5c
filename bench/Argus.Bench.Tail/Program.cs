using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

// Live-tail latency: one client follows GET /api/audit-logs/tail while writers post entries at a
// fixed total rate. For every entry: its writer's wait for the acknowledgement (the baseline: the
// commit's own latency, measured in the same run) and the time from that acknowledgement to the
// entry's arrival at the tail client. All on one machine, so one clock serves both ends.
var options = Options.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(options.Url) };
if (options.Key is not null)
{
    http.DefaultRequestHeaders.Add("X-API-Key", options.Key);
}

var clock = Stopwatch.StartNew();
var acknowledgedAt = new ConcurrentDictionary<string, double>();
var arrivedAt = new ConcurrentDictionary<string, double>();
var commitToTail = new ConcurrentBag<double>();
var ackLatency = new ConcurrentBag<double>();
var run = $"bench-tail-{Guid.NewGuid():N}";

using var tail = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/audit-logs/tail?tenantId={run}"), HttpCompletionOption.ResponseHeadersRead);
tail.EnsureSuccessStatusCode();
using var stopReading = new CancellationTokenSource();
var reader = Task.Run(async () =>
{
    using var lines = new StreamReader(await tail.Content.ReadAsStreamAsync());
    while (await lines.ReadLineAsync(stopReading.Token) is { } line)
    {
        if (line.StartsWith("data: ", StringComparison.Ordinal))
        {
            var now = clock.Elapsed.TotalMilliseconds;
            var wall = DateTimeOffset.UtcNow;
            var entry = JsonNode.Parse(line.AsSpan(6).ToString())!;
            arrivedAt.TryAdd(entry["id"]!.GetValue<string>(), now);
            // createdAt is stamped by the writer just before the commit statement.
            commitToTail.Add((wall - DateTimeOffset.Parse(entry["createdAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)).TotalMilliseconds);
        }
    }
});

var total = options.Rate * options.Seconds;
var interval = TimeSpan.FromSeconds(1.0 / options.Rate);
using var pace = new PeriodicTimer(interval);
var inFlight = new List<Task>();
Console.Error.WriteLine($"posting {total} entries at {options.Rate}/s for {options.Seconds} s");
for (var i = 0; i < total; i++)
{
    inFlight.Add(PostAsync(i));
    await pace.WaitForNextTickAsync();
}

await Task.WhenAll(inFlight);
var deadline = clock.Elapsed + TimeSpan.FromSeconds(10);
while (arrivedAt.Count < acknowledgedAt.Count && clock.Elapsed < deadline)
{
    await Task.Delay(50);
}

await stopReading.CancelAsync();
await reader.ContinueWith(_ => { }, TaskScheduler.Default);

var delivery = acknowledgedAt.Where(a => arrivedAt.ContainsKey(a.Key)).Select(a => arrivedAt[a.Key] - a.Value).Order().ToArray();
var acks = ackLatency.Order().ToArray();
var committed = commitToTail.Order().ToArray();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT acked={acknowledgedAt.Count} delivered={delivery.Length} missing={acknowledgedAt.Count - delivery.Length} " +
    $"ack_p50_ms={P(acks, 0.5):0.0} ack_p99_ms={P(acks, 0.99):0.0} " +
    $"tail_after_ack_p50_ms={P(delivery, 0.5):0.0} tail_after_ack_p99_ms={P(delivery, 0.99):0.0} tail_after_ack_max_ms={delivery.LastOrDefault():0.0} " +
    $"commit_to_tail_p50_ms={P(committed, 0.5):0.0} commit_to_tail_p99_ms={P(committed, 0.99):0.0} " +
    $"ratio_p50_to_ack_p50={P(committed, 0.5) / P(acks, 0.5):0.00}"));
return delivery.Length == acknowledgedAt.Count ? 0 : 1;

async Task PostAsync(int i)
{
    var body = new JsonObject
    {
        ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
        ["status"] = "SUCCESS", ["actorType"] = "SERVICE", ["actorId"] = "bench-" + i, ["targetType"] = "RESOURCE",
        ["tenantId"] = run, ["traceId"] = Guid.NewGuid().ToString(),
    };
    var sent = clock.Elapsed.TotalMilliseconds;
    using var response = await http.PostAsJsonAsync("/api/audit-logs", body);
    var acked = clock.Elapsed.TotalMilliseconds;
    if (response.IsSuccessStatusCode)
    {
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        acknowledgedAt[id] = acked;
        ackLatency.Add(acked - sent);
    }
}

static double P(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

internal sealed record Options(string Url, int Rate, int Seconds, string? Key)
{
    public static Options Parse(string[] args)
    {
        string url = "http://127.0.0.1:3001";
        int rate = 500, seconds = 20;
        string? key = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--url": url = args[i + 1]; break;
                case "--rate": rate = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--key": key = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return new Options(url, rate, seconds, key);
    }
}
