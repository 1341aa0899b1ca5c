using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Argus.TestInfrastructure;

namespace Argus.Gateway.Tests;

/// <summary>
/// Traces, metrics and logs of real processes: a silo and a gateway exporting over OTLP
/// (<c>http/protobuf</c>) to a receiver in the test, and their Prometheus <c>/metrics</c>.
/// </summary>
public sealed partial class TelemetryTests(TelemetryTests.Cluster cluster) : IClassFixture<TelemetryTests.Cluster>
{
    [Fact]
    public async Task A_callers_traceparent_parents_the_gateways_span_flows_into_the_grain_call_and_the_commit_links_back()
    {
        var (traceId, callerSpan, traceparent) = NewTraceParent();
        using var response = await cluster.Gateway.Client.PostEntryAsync(AuditJson.Minimal(), traceparent: traceparent);
        var stored = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, stored.ToJsonString());
        Assert.Equal(traceId, ((string)stored["traceId"]!).Replace("-", "", StringComparison.Ordinal));

        await cluster.Receiver.WaitUntilAsync(
            r => ServerSpan(r, traceId) is not null && r.Spans.Any(s => s.Name == "argus.commit" && s.Links.Any(l => l.TraceId == traceId)),
            "the gateway's request span and the commit linked to the trace");
        var spans = cluster.Receiver.Spans;
        var request = ServerSpan(cluster.Receiver, traceId)!;
        Assert.Equal(callerSpan, request.ParentSpanId);
        Assert.Equal("argus", request.Service);

        // The gateway's grain call and the silo's handling of it belong to the caller's trace.
        Assert.Contains(spans, s => s.TraceId == traceId && s.Scope == "Microsoft.Orleans.Application" && s.Kind == 3);
        Assert.Contains(spans, s => s.TraceId == traceId && s.Scope == "Microsoft.Orleans.Application" && s.Kind == 2);

        // The commit is a trace of its own, linked to the request it acknowledged, with its statement as a child.
        var commit = spans.First(s => s.Name == "argus.commit" && s.Links.Any(l => l.TraceId == traceId));
        Assert.Equal("Argus", commit.Scope);
        Assert.Equal("", commit.ParentSpanId);
        Assert.True((long)commit.Attributes["argus.batch.entries"]! >= 1, "argus.batch.entries");
        await cluster.Receiver.WaitUntilAsync(
            r => r.Spans.Any(s => s.Scope == "Npgsql" && s.TraceId == commit.TraceId && s.ParentSpanId == commit.SpanId),
            "the commit's statement as a child of the commit");
    }

    [Fact]
    public async Task On_a_node_the_commit_links_to_the_span_of_the_request_it_answers()
    {
        var (traceId, callerSpan, traceparent) = NewTraceParent();
        using var response = await cluster.Silo.Client.PostEntryAsync(AuditJson.Minimal(), traceparent: traceparent);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await cluster.Receiver.WaitUntilAsync(
            r => ServerSpan(r, traceId) is { } request && r.Spans.Any(s => s.Name == "argus.commit" && s.Links.Contains(new OtlpLink(traceId, request.SpanId))),
            "a commit linked to the node's request span");
        Assert.Equal(callerSpan, ServerSpan(cluster.Receiver, traceId)!.ParentSpanId);
    }

    [Fact]
    public async Task Log_records_carry_the_trace_and_span_of_their_request_over_otlp_and_in_json_on_the_console()
    {
        var (traceId, _, traceparent) = NewTraceParent();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/audit-logs?limit=1&traceId={Guid.ParseExact(traceId, "N")}");
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        using var response = await cluster.Gateway.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await cluster.Receiver.WaitUntilAsync(r => r.Logs.Any(l => l.TraceId == traceId && l.SpanId.Length == 16), "a log record of the request");
        Assert.All(cluster.Receiver.Logs.Where(l => l.TraceId == traceId), l => Assert.Equal("argus", l.Service));

        // The console's JSON lines carry the same ids, for log shippers that read stdout.
        await Eventually.WaitUntilAsync(
            () => cluster.Gateway.Output.Contains($"\"TraceId\":\"{traceId}\"", StringComparison.Ordinal), "a JSON log line of the request on the console");
    }

    [Fact]
    public async Task Prometheus_serves_argus_runtime_aspnetcore_and_orleans_metrics_anonymously()
    {
        var (traceId, _, traceparent) = NewTraceParent();
        using (var stored = await cluster.Gateway.Client.PostEntryAsync(AuditJson.Minimal(), traceparent: traceparent))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }

        var invalid = AuditJson.Minimal();
        invalid.Remove("actorId");
        using (var refused = await cluster.Gateway.Client.PostEntryAsync(invalid))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var read = await cluster.Gateway.Client.GetAsync($"/api/audit-logs?traceId={Guid.ParseExact(traceId, "N")}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var silo = await ScrapeAsync(cluster.Silo);
        Assert.True(Value(silo, "argus_entries_appended_total") >= 1, "argus_entries_appended_total");
        Assert.True(Value(silo, "argus_commit_batch_entries_count") >= 1, "argus_commit_batch_entries_count");
        Assert.True(Value(silo, "argus_commit_duration_seconds_count") >= 1, "argus_commit_duration_seconds_count");
        Assert.True(Value(silo, "argus_commit_duration_seconds_bucket", "le=\"+Inf\"") >= 1, "argus_commit_duration_seconds_bucket");
        Assert.Equal(0, Value(silo, "argus_pending_entries"));
        Assert.Equal(Cluster.PartitionCount, Value(silo, "argus_owned_partitions"));
        Assert.True(Value(silo, "dotnet_gc_collections_total") >= 0, "the runtime's metrics");
        Assert.True(Value(silo, "orleans_catalog_activations") >= Cluster.PartitionCount, "Orleans' metrics");

        var gateway = await ScrapeAsync(cluster.Gateway);
        Assert.True(Value(gateway, "argus_entries_rejected_total", "reason=\"invalid\"") >= 1, "argus_entries_rejected_total{reason=\"invalid\"}");
        Assert.True(Value(gateway, "argus_query_duration_seconds_count", "shape=\"trace\"") >= 1, "argus_query_duration_seconds{shape=\"trace\"}");
        Assert.True(Value(gateway, "http_server_request_duration_seconds_count") >= 3, "ASP.NET Core's metrics");
        Assert.DoesNotContain("argus_owned_partitions", gateway, StringComparison.Ordinal);

        // The same instruments go out over OTLP.
        await cluster.Receiver.WaitUntilAsync(
            r => r.Metrics.Contains(("argus", "argus.entries.appended")) && r.Metrics.Contains(("argus", "argus.entries.rejected")),
            "Argus's metrics over OTLP");
    }

    private static async Task<string> ScrapeAsync(SiloProcess process)
    {
        using var anonymous = new HttpClient { BaseAddress = process.BaseAddress };
        using var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a sample's values over the series whose labels contain <paramref name="label"/>; fails when there is none.</summary>
    private static double Value(string exposition, string metric, string label = "")
    {
        var values = exposition.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(values.Count > 0, $"no sample of {metric}{{{label}}} in:\n{exposition}");
        return values.Sum();
    }

    private static OtlpSpan? ServerSpan(OtlpReceiver receiver, string traceId) =>
        receiver.Spans.FirstOrDefault(s => s.TraceId == traceId && s.Kind == 2 && s.Scope == "Microsoft.AspNetCore");

    private static (string TraceId, string SpanId, string TraceParent) NewTraceParent()
    {
        var traceId = Guid.NewGuid().ToString("N");
        var spanId = Guid.NewGuid().ToString("N")[..16];
        return (traceId, spanId, $"00-{traceId}-{spanId}-01");
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)")]
    private static partial Regex SampleLine();

    /// <summary>A silo and a gateway in front of it, both exporting to one receiver, their console logs as JSON.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        public const int PartitionCount = 8;

        public OtlpReceiver Receiver { get; private set; } = null!;

        public SiloProcess Silo { get; private set; } = null!;

        public SiloProcess Gateway { get; private set; } = null!;

        private TestDatabase database = null!;

        public async Task InitializeAsync()
        {
            database = await TestPostgres.CreateDatabaseAsync();
            Receiver = await OtlpReceiver.StartAsync();
            var logging = new Dictionary<string, string>
            {
                ["Argus:Silo:PartitionCount"] = PartitionCount.ToString(CultureInfo.InvariantCulture),
                ["Logging:Console:FormatterName"] = "json",
                ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            };
            Silo = await SiloProcess.StartAsync("telemetry-silo", database.ConnectionString, logging, Receiver.Environment);
            await Silo.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            Gateway = await SiloProcess.StartAsync("telemetry-gateway", database.ConnectionString,
                new Dictionary<string, string>(logging) { ["Argus:Role"] = "Gateway" }, Receiver.Environment);
            await Gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }

        public async Task DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Silo.DisposeAsync();
            await Receiver.DisposeAsync();
            await database.DisposeAsync();
        }
    }
}
