using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Argus.Gateway.Apis;
using Argus.Gateway.Options;
using Argus.Gateway.Telemetry;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Integrity;
using Argus.Grains.Options;
using Argus.Grains.Partitions;
using Argus.Grains.Retention;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.CloudEvents;

/// <summary>
/// The CloudEvents ingest API and operational endpoints under <c>/v1/auditmanager/</c>.
/// <c>202</c> is sent once the event is committed, as for the Argus API: acknowledged means durable.
/// </summary>
public static class CloudEventsApi
{
    public const string BasePath = "/v1/auditmanager";

    private const string BinaryModeHeader = "ce-specversion";

    public static IEndpointRouteBuilder MapCloudEventsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(BasePath).WithTags("CloudEvents");
        group.MapPost("/events", IngestAsync)
            .WithSummary("Ingest a single CloudEvent")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status422UnprocessableEntity)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(Security.ArgusScopes.Write);
        group.MapPost("/events/batch", IngestBatchAsync)
            .WithSummary("Ingest a batch of CloudEvents")
            .Produces<BatchResult>(StatusCodes.Status202Accepted)
            .Produces<BatchResult>(StatusCodes.Status400BadRequest)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<Grains.Abstractions.Serialization.ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<BatchResult>(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(Security.ArgusScopes.Write);
        group.MapGet("/health", HealthAsync)
            .WithSummary("Health / readiness probe")
            .Produces<HealthEnvelope>(StatusCodes.Status200OK)
            .Produces<HealthEnvelope>(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();
        group.MapGet("/version", Version)
            .WithSummary("Service version and build metadata")
            .Produces<VersionEnvelope>(StatusCodes.Status200OK)
            .AllowAnonymous();
        group.MapGet("/config", Config)
            .WithSummary("Effective non-sensitive configuration")
            .Produces<ConfigEnvelope>(StatusCodes.Status200OK)
            .RequireAuthorization(Security.ArgusScopes.Admin);
        return app;
    }

    private static async Task IngestAsync(HttpContext context, IArgusCluster cluster, TimeProvider time, IOptions<GatewayOptions> options)
    {
        var settings = options.Value;
        var request = context.Request;
        var binary = request.Headers.ContainsKey(BinaryModeHeader);
        if (!binary && !CloudEventMapper.IsJson(request.ContentType))
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType,
                "Validation error: Content-Type must be application/cloudevents+json or application/json (structured mode), or send ce-* headers (binary mode)", "Content-Type");
            return;
        }

        var (withinLimit, body) = await RequestBody.ReadAsync(request, settings.MaxBodyBytes, b => BuffersExtensions.ToArray(b));
        if (!withinLimit)
        {
            Rejections.Count(context, Rejections.TooLarge);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"Validation error: request body exceeds {settings.MaxBodyBytes} bytes", "body");
            return;
        }

        MappedEvent mapped;
        try
        {
            var traceparent = request.Headers.TraceParent.ToString();
            mapped = binary
                ? CloudEventMapper.MapBinary(BinaryAttributes(request), body, request.ContentType, time.GetUtcNow(), traceparent)
                : MapStructured(body!, time.GetUtcNow(), traceparent);
        }
        catch (AuditValidationException e)
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, e.Message, e.Field);
            return;
        }

        var (status, outcome) = await AppendAsync(context, cluster, mapped, Security.ArgusClaims.AccessScope(context), time);
        if (status == StatusCodes.Status202Accepted)
        {
            context.Response.Headers.Location = "/api/audit-logs/" + outcome.EntryId;
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(
                new EventAccepted(mapped.CloudEventId, outcome.EntryId, outcome.Duplicate),
                CloudEventsJsonContext.Web.EventAccepted, contentType: null, context.RequestAborted);
            return;
        }

        await ApiResponses.ErrorAsync(context, status, outcome.Error!,
            retryAfterSeconds: status == StatusCodes.Status503ServiceUnavailable ? settings.RetryAfterSeconds : null);
    }

    private static async Task IngestBatchAsync(HttpContext context, IArgusCluster cluster, TimeProvider time, IOptions<GatewayOptions> options)
    {
        var settings = options.Value;
        var request = context.Request;
        if (!CloudEventMapper.IsJson(request.ContentType))
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType,
                "Validation error: Content-Type must be application/cloudevents-batch+json or application/json", "Content-Type");
            return;
        }

        var (withinLimit, body) = await RequestBody.ReadAsync(request, settings.MaxBatchBodyBytes, b => BuffersExtensions.ToArray(b));
        if (!withinLimit)
        {
            Rejections.Count(context, Rejections.TooLarge);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"Validation error: request body exceeds {settings.MaxBatchBodyBytes} bytes", "body");
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                $"Validation error: request body is malformed JSON at line {(e.LineNumber ?? 0) + 1}", "body");
            return;
        }

        using (document)
        {
            // A JSON array (the CloudEvents batch format) or {"events": [...]}.
            var root = document.RootElement;
            var events = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("events", out var wrapped) ? wrapped : root;
            if (events.ValueKind != JsonValueKind.Array)
            {
                Rejections.Count(context, Rejections.Invalid);
                await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                    "Validation error: a batch is a JSON array of CloudEvents, or an object with an 'events' array", "events");
                return;
            }

            var count = events.GetArrayLength();
            if (count == 0 || count > settings.MaxBatchSize)
            {
                Rejections.Count(context, Rejections.Invalid, Math.Max(count, 1));
                await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                    $"Validation error: a batch holds 1 to {settings.MaxBatchSize} events; this one holds {count}", "events");
                return;
            }

            // Each event stands alone: invalid ones are reported, valid ones are appended together
            // (so they share commits), and the response says which were accepted.
            var errors = new List<BatchError>();
            var appends = new List<(int Index, MappedEvent Event, Task<(int Status, AppendOutcome Outcome)> Task)>();
            var traceparent = request.Headers.TraceParent.ToString();
            var scope = Security.ArgusClaims.AccessScope(context);
            var index = 0;
            foreach (var cloudEvent in events.EnumerateArray())
            {
                try
                {
                    var mapped = CloudEventMapper.Map(cloudEvent, time.GetUtcNow(), traceparent, field: "event");
                    appends.Add((index, mapped, AppendAsync(context, cluster, mapped, scope, time)));
                }
                catch (AuditValidationException e)
                {
                    Rejections.Count(context, Rejections.Invalid);
                    errors.Add(new BatchError(index, IdOf(cloudEvent), StatusCodes.Status400BadRequest, e.Message, e.Field));
                }

                index++;
            }

            await Task.WhenAll(appends.Select(a => a.Task));
            foreach (var (i, mapped, task) in appends)
            {
                var (status, outcome) = task.Result;
                if (status != StatusCodes.Status202Accepted)
                {
                    errors.Add(new BatchError(i, mapped.CloudEventId, status, outcome.Error!, null));
                }
            }

            errors.Sort((a, b) => a.Index.CompareTo(b.Index));
            var accepted = count - errors.Count;
            var responseStatus = accepted > 0 ? StatusCodes.Status202Accepted
                : errors.Any(e => e.Status == StatusCodes.Status503ServiceUnavailable) ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status400BadRequest;
            if (responseStatus == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = settings.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            }

            context.Response.StatusCode = responseStatus;
            await context.Response.WriteAsJsonAsync(new BatchResult(accepted, errors.Count, errors),
                CloudEventsJsonContext.Web.BatchResult, contentType: null, context.RequestAborted);
        }
    }

    /// <summary>Appends a mapped event; a replay of (id, time) counts as accepted, as an idempotent insert would.</summary>
    private static async Task<(int Status, AppendOutcome Outcome)> AppendAsync(
        HttpContext context, IArgusCluster cluster, MappedEvent mapped, Grains.Abstractions.Security.AccessScope scope, TimeProvider time)
    {
        if (!Security.TenantBinding.TryBind(mapped.Entry, scope, out var bound, out var refusal))
        {
            Rejections.Count(context, Rejections.Forbidden);
            return (StatusCodes.Status403Forbidden, new AppendOutcome(Guid.Empty, false, refusal));
        }

        // A tenant's event ids are its own: the same (id, time) from two tenants names two entries.
        var derived = mapped.EntryId is { } id && scope.Tenant is not null
            ? EntryIds.FromIdempotencyKey(Security.TenantBinding.IdempotencyScope(CloudEventMapper.IdempotencyScope, scope), id.ToString())
            : mapped.EntryId;
        var entry = bound with { Id = derived ?? EntryIds.NewId(time) };
        var result = await cluster.AppendAsync(entry, context.RequestAborted);

        // A conflicting repeat of an event id is answered as a duplicate, but nothing new was stored.
        Rejections.CountOutcome(context, result.Status);
        return result.Status switch
        {
            AppendStatus.Stored => (StatusCodes.Status202Accepted, new AppendOutcome(entry.Id, false, null)),
            AppendStatus.Replayed or AppendStatus.Conflict => (StatusCodes.Status202Accepted, new AppendOutcome(entry.Id, true, null)),
            AppendStatus.Rejected => (StatusCodes.Status422UnprocessableEntity, new AppendOutcome(entry.Id, false, result.Error)),
            _ => (StatusCodes.Status503ServiceUnavailable, new AppendOutcome(entry.Id, false, result.Error)),
        };
    }

    private static MappedEvent MapStructured(byte[] body, DateTimeOffset receivedAt, string traceparent)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new AuditValidationException("body", $"Validation error: request body is malformed JSON at line {(e.LineNumber ?? 0) + 1}");
        }

        using (document)
        {
            return CloudEventMapper.Map(document.RootElement, receivedAt, traceparent);
        }
    }

    /// <summary>Binary mode: every <c>ce-</c> header is an attribute (values are percent-encoded by the HTTP binding).</summary>
    private static Dictionary<string, string> BinaryAttributes(HttpRequest request)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            if (name.StartsWith("ce-", StringComparison.OrdinalIgnoreCase))
            {
                attributes[name[3..].ToLowerInvariant()] = Uri.UnescapeDataString(value.ToString());
            }
        }

        return attributes;
    }

    private static string? IdOf(JsonElement cloudEvent) =>
        cloudEvent.ValueKind == JsonValueKind.Object && cloudEvent.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;

    private static async Task<IResult> HealthAsync(IArgusCluster cluster, TimeProvider time, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var report = await OperationsApi.CheckHealthAsync(cluster, options.Value.HealthTimeout, cancellationToken);
        return TypedResults.Json(
            new HealthEnvelope { Id = options.Value.CloudEventsEnvelopeId, ResponseTime = ResponseTime(time), Status = report.Healthy ? "UP" : "DOWN", Reason = report.Reason },
            CloudEventsJsonContext.Web.HealthEnvelope,
            statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static IResult Version(TimeProvider time, IOptions<GatewayOptions> options) => TypedResults.Json(
        new VersionEnvelope
        {
            Id = options.Value.CloudEventsEnvelopeId,
            ResponseTime = ResponseTime(time),
            Service = BuildInfo.Service,
            ServiceVersion = BuildInfo.Version,
            GitCommit = BuildInfo.GitCommit,
            BuildTime = BuildInfo.BuildTime,
        },
        CloudEventsJsonContext.Web.VersionEnvelope);

    /// <summary>Tunables only: never a connection string, password or host name.</summary>
    private static IResult Config(TimeProvider time, IOptions<GatewayOptions> gateway, IServiceProvider services)
    {
        // A gateway-only process has no silo: its partitions and batching live in the silos.
        var partitions = services.GetService<LocalPartitions>();
        var writer = partitions is null ? null : services.GetRequiredService<IOptions<WriterOptions>>().Value;
        var retention = partitions is null ? null : services.GetRequiredService<IOptions<RetentionOptions>>().Value;
        var integrity = services.GetRequiredService<IOptions<IntegrityOptions>>().Value;
        return TypedResults.Json(
            new ConfigEnvelope
            {
                Id = gateway.Value.CloudEventsEnvelopeId,
                ResponseTime = ResponseTime(time),
                Ingest = new IngestSettings(gateway.Value.MaxBatchSize, gateway.Value.MaxBodyBytes, gateway.Value.MaxBatchBodyBytes,
                    "after-commit", gateway.Value.RetryAfterSeconds),
                Partitions = partitions is null ? null : new PartitionSettings(partitions.PartitionCount),
                Batching = writer is null ? null : new BatchingSettings(writer.MaxBatchEntries, writer.MaxPendingEntries,
                    writer.CommitTimeout.TotalSeconds, 1),
                Retention = new RetentionSettings(
                    RetentionPolicy(retention), retention?.Days, retention?.MonthsAhead, retention?.MaintenanceInterval.TotalSeconds),
                Integrity = new IntegritySettings(integrity.CheckpointInterval.TotalSeconds, services.GetRequiredService<CheckpointKey>().Key?.Id),
            },
            CloudEventsJsonContext.Web.ConfigEnvelope);
    }

    private static string RetentionPolicy(RetentionOptions? retention) => retention switch
    {
        null => "set on the silos",
        { Days: null } => "append-only: entries are never updated or deleted; kept forever (Argus:Retention:Days is not set)",
        { Days: var days } => $"append-only: entries are never updated or deleted; maintenance drops each month {days} days after it ends, "
            + "with a signed retention checkpoint naming what it removed",
    };

    private static string ResponseTime(TimeProvider time) =>
        time.GetUtcNow().UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);

    private sealed record AppendOutcome(Guid EntryId, bool Duplicate, string? Error);
}
