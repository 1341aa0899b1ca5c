using System.Buffers;
using System.Text;
using System.Text.Json;
using Argus.Gateway.Apis;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Tail;

/// <summary>
/// <c>GET /api/audit-logs/tail</c>: the committed log as Server-Sent Events, filtered like
/// <c>GET /api/audit-logs</c> and within the caller's scope. Each event is <c>event: entry</c> with
/// the entry's JSON and, as its <c>id</c>, the position just after it; a client that reconnects with
/// <c>Last-Event-ID</c> (or <c>?from=</c> a position) is sent every matching entry committed since,
/// once, in commit order per partition, then the live ones. <c>?from=now</c> (the default) starts at
/// the present. A process that is stopping ends its streams with an error event, as clients resume
/// elsewhere: an open stream would otherwise hold the graceful stop until the host's shutdown
/// timeout, and the silo's own stop would find its time used up.
/// </summary>
public static partial class TailApi
{
    public const string Path = "/api/audit-logs/tail";

    /// <summary>What a client is told when the process it reads from stops.</summary>
    public const string StoppingMessage = "this node is stopping; reconnect with Last-Event-ID to resume";

    private const int ChunkEntries = 500;

    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    public static IEndpointRouteBuilder MapTailApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, TailAsync)
            .WithTags("Audit logs")
            .WithSummary("Follow the audit log live (Server-Sent Events)")
            .WithDescription("The same filters as GET /api/audit-logs (no paging). Events: 'entry' (data: the entry, id: a resumable position) "
                + "and 'error' (data: {\"error\"} before the server drops a client that reads too slowly). Resume with Last-Event-ID or "
                + "from=<position>; from=now (the default) starts at the present. A comment line is sent every 15 s when idle.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(ArgusScopes.Read);
        return app;
    }

    private static async Task TailAsync(
        HttpContext context, TailHub hub, IArgusCluster cluster, IOptions<TailOptions> options, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        if (!AuditQueryParser.TryParseFilters(context.Request.Query, "from", out var query, out var from, out var error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        var scope = context.AccessScope();
        query = query with { Scope = scope };
        await using var client = await hub.ConnectAsync(context.RequestAborted);
        var resume = context.Request.Headers["Last-Event-ID"].ToString();
        var start = resume.Length > 0 ? resume : from ?? "now";
        long[] positions;
        if (start == "now")
        {
            positions = [.. Enumerable.Range(0, hub.PartitionCount).Select(hub.Head)];
        }
        else if (TailPosition.Decode(start, hub.PartitionCount) is { } decoded)
        {
            positions = decoded;
        }
        else
        {
            var field = resume.Length > 0 ? "Last-Event-ID" : "from";
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                $"Validation error: '{field}' must be 'now' or a position sent by this cluster's tail", field);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var connection = new Connection(context, hub, cluster, query, positions, options.Value, lifetime.ApplicationStopping, loggers.CreateLogger(typeof(TailApi).FullName!));
        await connection.RunAsync();
    }

    private sealed partial class Connection(
        HttpContext context, TailHub hub, IArgusCluster cluster, AuditQuery query, long[] positions, TailOptions options, CancellationToken stopping, ILogger logger)
    {
        private readonly List<(long Seq, AuditEntry Entry)> kept = [];
        private bool caughtUp;
        private long lastWrite;

        public async Task RunAsync()
        {
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            var aborted = ending.Token;
            await context.Response.Body.FlushAsync(aborted);
            lastWrite = TimeProvider.System.GetTimestamp();
            try
            {
                while (!aborted.IsCancellationRequested)
                {
                    var changed = hub.Changed;
                    var progressed = await ReadEachPartitionAsync(aborted);
                    if (progressed)
                    {
                        continue;
                    }

                    var idle = options.HeartbeatInterval - TimeProvider.System.GetElapsedTime(lastWrite);
                    if (idle <= TimeSpan.Zero)
                    {
                        await WriteAsync(Heartbeat, aborted);
                        continue;
                    }

                    await Task.WhenAny(changed, Task.Delay(idle, aborted));
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
            }
            catch (ArgusUnavailableException unavailable)
            {
                // The client resumes from the last id it was sent, so ending here loses nothing.
                await TryWriteErrorAsync("the log cannot be read: " + unavailable.Message + "; reconnect with Last-Event-ID to resume");
                return;
            }
            catch (SlowClientException slow)
            {
                LogDropped(slow.Message);
                await TryWriteErrorAsync(slow.Message);
                return;
            }

            if (stopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                await TryWriteErrorAsync(StoppingMessage);
            }
        }

        /// <summary>One chunk of every partition that is behind its head; true when anything was read.</summary>
        private async Task<bool> ReadEachPartitionAsync(CancellationToken cancellationToken)
        {
            // Caught up: within one chunk of the heads once. From then on a client further behind than
            // the bound reads slower than entries are committed (one still catching up is not judged).
            var lag = Enumerable.Range(0, positions.Length).Sum(p => Math.Max(0, hub.Head(p) - positions[p]));
            if (caughtUp && lag > options.MaxLag)
            {
                throw new SlowClientException(
                    $"client too slow: {lag} entries behind the live log (at most {options.MaxLag}); reconnect with Last-Event-ID to resume");
            }

            caughtUp |= lag <= ChunkEntries;

            var progressed = false;
            for (var p = 0; p < positions.Length; p++)
            {
                var head = hub.Head(p);
                if (positions[p] >= head)
                {
                    continue;
                }

                progressed = true;
                kept.Clear();
                if (hub.TryRead(p, positions[p], ChunkEntries, kept))
                {
                    foreach (var (seq, entry) in kept)
                    {
                        await PassAsync(p, seq, entry, cancellationToken);
                    }
                }
                else
                {
                    var slice = await cluster.ReadLogAsync(query.Scope, p, positions[p], head, ChunkEntries, cancellationToken);
                    for (var i = 0; i < slice.Count; i++)
                    {
                        await PassAsync(p, slice.Seqs[i], slice.Entries[i], cancellationToken);
                    }

                    positions[p] = Math.Max(positions[p], slice.Through);
                }
            }

            if (progressed)
            {
                await FlushAsync(cancellationToken);
            }

            return progressed;
        }

        /// <summary>Moves past the entry, sending it when it matches; its event's id is the position just after it.</summary>
        private async Task PassAsync(int partition, long seq, AuditEntry entry, CancellationToken cancellationToken)
        {
            if (seq <= positions[partition])
            {
                return;
            }

            positions[partition] = seq;
            if (!query.Matches(entry))
            {
                return;
            }

            var writer = context.Response.BodyWriter;
            writer.Write("event: entry\nid: "u8);
            writer.Write(Encoding.ASCII.GetBytes(TailPosition.Encode(positions)).AsSpan());
            writer.Write("\ndata: "u8);
            await using (var json = new Utf8JsonWriter(writer, ArgusJsonContext.WebWriter))
            {
                AuditEntryJson.Write(json, entry);
            }

            writer.Write("\n\n"u8);
            if (writer.UnflushedBytes > 64 * 1024)
            {
                await FlushAsync(cancellationToken);
            }
        }

        private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            context.Response.BodyWriter.Write(bytes.AsSpan());
            await FlushAsync(cancellationToken);
        }

        /// <summary>A flush the client does not take within the write timeout means it stopped reading.</summary>
        private async Task FlushAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.WriteTimeout);
            try
            {
                await context.Response.BodyWriter.FlushAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogDropped($"client took no data for {options.WriteTimeout.TotalSeconds:0} s");
                context.Abort();
                throw new OperationCanceledException(cancellationToken);
            }

            lastWrite = TimeProvider.System.GetTimestamp();
        }

        private async Task TryWriteErrorAsync(string message)
        {
            try
            {
                var writer = context.Response.BodyWriter;
                writer.Write("event: error\ndata: "u8);
                await using (var json = new Utf8JsonWriter(writer, ArgusJsonContext.WebWriter))
                {
                    json.WriteStartObject();
                    json.WriteString("error", message);
                    json.WriteEndObject();
                }

                writer.Write("\n\n"u8);
                await FlushAsync(context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The client is gone already.
            }
        }

        [LoggerMessage(Level = LogLevel.Information, Message = "Live tail: dropping a client: {Reason}")]
        private partial void LogDropped(string reason);
    }

    private sealed class SlowClientException(string message) : Exception(message);
}
