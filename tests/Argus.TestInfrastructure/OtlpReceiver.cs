using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Argus.TestInfrastructure;

/// <summary>
/// An OpenTelemetry collector's OTLP/HTTP receiver (<c>http/protobuf</c>) on a real port: keeps the
/// spans, log records and metric names that processes export to it, decoded from the wire format.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<OtlpSpan> spans = new();
    private readonly ConcurrentQueue<OtlpLog> logs = new();
    private readonly ConcurrentDictionary<(string Service, string Metric), byte> metrics = new();
    private TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OtlpReceiver(WebApplication app, Uri endpoint)
    {
        this.app = app;
        Endpoint = endpoint;
    }

    /// <summary>What <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names: the exporters post to <c>/v1/traces</c>, <c>/v1/metrics</c> and <c>/v1/logs</c> below it.</summary>
    public Uri Endpoint { get; }

    public IReadOnlyList<OtlpSpan> Spans => [.. spans];

    public IReadOnlyList<OtlpLog> Logs => [.. logs];

    /// <summary>The metrics exported, by the exporting service's instance.</summary>
    public IReadOnlyCollection<(string Service, string Metric)> Metrics => [.. metrics.Keys];

    /// <summary>The settings that make an Argus process export here every fraction of a second.</summary>
    public IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    };

    public static async Task<OtlpReceiver> StartAsync()
    {
        var port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, new Uri($"http://127.0.0.1:{port}/"));
        app.MapPost("/v1/traces", context => receiver.TakeAsync(context, receiver.TakeSpans));
        app.MapPost("/v1/logs", context => receiver.TakeAsync(context, receiver.TakeLogs));
        app.MapPost("/v1/metrics", context => receiver.TakeAsync(context, receiver.TakeMetrics));
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits, without polling, until what has arrived satisfies <paramref name="condition"/>.</summary>
    public async Task WaitUntilAsync(Func<OtlpReceiver, bool> condition, string what, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var next = Volatile.Read(ref arrived).Task;
            if (condition(this))
            {
                return;
            }

            try
            {
                await next.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting for {what}; received {spans.Count} spans, {logs.Count} log records, {metrics.Count} metrics");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task TakeAsync(HttpContext context, Action<ProtoReader> take)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        take(new ProtoReader(buffer.ToArray()));
        Interlocked.Exchange(ref arrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        context.Response.ContentType = "application/x-protobuf";
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    // ExportTraceServiceRequest { 1: ResourceSpans { 1: Resource, 2: ScopeSpans { 1: scope, 2: Span } } }
    private void TakeSpans(ProtoReader request)
    {
        foreach (var resourceSpans in request.Messages(1))
        {
            var service = ServiceOf(resourceSpans);
            foreach (var scopeSpans in resourceSpans.Messages(2))
            {
                var scope = scopeSpans.Messages(1).FirstOrDefault()?.String(1) ?? "";
                foreach (var span in scopeSpans.Messages(2))
                {
                    spans.Enqueue(new OtlpSpan(
                        span.String(5),
                        (int)span.Varint(6),
                        span.Hex(1),
                        span.Hex(2),
                        span.Hex(4),
                        scope,
                        service,
                        Attributes(span.Messages(9)),
                        [.. span.Messages(13).Select(link => new OtlpLink(link.Hex(1), link.Hex(2)))]));
                }
            }
        }
    }

    // ExportLogsServiceRequest { 1: ResourceLogs { 1: Resource, 2: ScopeLogs { 1: scope, 2: LogRecord } } }
    private void TakeLogs(ProtoReader request)
    {
        foreach (var resourceLogs in request.Messages(1))
        {
            var service = ServiceOf(resourceLogs);
            foreach (var scopeLogs in resourceLogs.Messages(2))
            {
                foreach (var record in scopeLogs.Messages(2))
                {
                    var body = record.Messages(5).FirstOrDefault()?.String(1) ?? "";
                    logs.Enqueue(new OtlpLog(service, record.Hex(9), record.Hex(10), body));
                }
            }
        }
    }

    // ExportMetricsServiceRequest { 1: ResourceMetrics { 1: Resource, 2: ScopeMetrics { 1: scope, 2: Metric { 1: name } } } }
    private void TakeMetrics(ProtoReader request)
    {
        foreach (var resourceMetrics in request.Messages(1))
        {
            var service = ServiceOf(resourceMetrics);
            foreach (var scopeMetrics in resourceMetrics.Messages(2))
            {
                foreach (var metric in scopeMetrics.Messages(2))
                {
                    metrics.TryAdd((service, metric.String(1)), 0);
                }
            }
        }
    }

    /// <summary>The resource's <c>service.name</c>.</summary>
    private static string ServiceOf(ProtoReader resourceSignals) =>
        resourceSignals.Messages(1).FirstOrDefault() is { } resource && Attributes(resource.Messages(1)).TryGetValue("service.name", out var name)
            ? name?.ToString() ?? ""
            : "";

    // KeyValue { 1: key, 2: AnyValue { 1: string, 2: bool, 3: int, 4: double } }
    private static Dictionary<string, object?> Attributes(IEnumerable<ProtoReader> pairs)
    {
        var attributes = new Dictionary<string, object?>();
        foreach (var pair in pairs)
        {
            var value = pair.Messages(2).FirstOrDefault();
            attributes[pair.String(1)] = value is null ? null
                : value.Has(1) ? value.String(1)
                : value.Has(2) ? value.Varint(2) != 0
                : value.Has(3) ? (long)value.Varint(3)
                : value.Has(4) ? BitConverter.UInt64BitsToDouble(value.Fixed64(4))
                : null;
        }

        return attributes;
    }
}

/// <summary>One exported span; ids in lower-case hex, the parent's empty for a root. Kind: 1 internal, 2 server, 3 client.</summary>
public sealed record OtlpSpan(
    string Name, int Kind, string TraceId, string SpanId, string ParentSpanId, string Scope, string Service,
    IReadOnlyDictionary<string, object?> Attributes, IReadOnlyList<OtlpLink> Links);

public sealed record OtlpLink(string TraceId, string SpanId);

/// <summary>One exported log record and the span it was written in (ids empty when none).</summary>
public sealed record OtlpLog(string Service, string TraceId, string SpanId, string Body);

/// <summary>
/// Reads one protobuf message: its fields by number (varints, fixed64s, and length-delimited
/// strings, bytes and messages), enough to decode OTLP requests without their generated classes.
/// </summary>
public sealed class ProtoReader
{
    private readonly List<(int Field, int WireType, ulong Value, ReadOnlyMemory<byte> Bytes)> fields = [];

    public ProtoReader(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        var position = 0;
        while (position < span.Length)
        {
            var tag = ReadVarint(span, ref position);
            var field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    fields.Add((field, wireType, ReadVarint(span, ref position), default));
                    break;
                case 1:
                    fields.Add((field, wireType, BitConverter.ToUInt64(span.Slice(position, 8)), default));
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(span, ref position);
                    fields.Add((field, wireType, 0, message.Slice(position, length)));
                    position += length;
                    break;
                case 5:
                    fields.Add((field, wireType, BitConverter.ToUInt32(span.Slice(position, 4)), default));
                    position += 4;
                    break;
                default:
                    throw new FormatException($"wire type {wireType} of field {field} is not one OTLP uses");
            }
        }
    }

    public bool Has(int field) => fields.Exists(f => f.Field == field);

    public ulong Varint(int field) => fields.LastOrDefault(f => f.Field == field && f.WireType == 0).Value;

    public ulong Fixed64(int field) => fields.LastOrDefault(f => f.Field == field && f.WireType == 1).Value;

    public string String(int field) => System.Text.Encoding.UTF8.GetString(Bytes(field).Span);

    /// <summary>A bytes field (an id) as lower-case hex; empty when absent.</summary>
    public string Hex(int field) => Convert.ToHexStringLower(Bytes(field).Span);

    public IEnumerable<ProtoReader> Messages(int field) =>
        fields.Where(f => f.Field == field && f.WireType == 2).Select(f => new ProtoReader(f.Bytes)).ToList();

    private ReadOnlyMemory<byte> Bytes(int field) => fields.LastOrDefault(f => f.Field == field && f.WireType == 2).Bytes;

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
