using Argus.Gateway.Options;
using Argus.Gateway.Security;
using Argus.Gateway.Telemetry;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Argus.Gateway.Apis;

/// <summary>The Argus audit-log API: <c>POST /api/audit-logs</c> and <c>GET /api/audit-logs</c>.</summary>
public static class AuditLogsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Idempotency keys of this API live in their own namespace.</summary>
    private const string IdempotencyScope = "audit-logs";

    public static IEndpointRouteBuilder MapAuditLogsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit-logs").WithTags("Audit logs");
        group.MapPost("", CreateAsync)
            .WithSummary("Create an audit log entry")
            .WithDescription("201 once the entry is committed. With an Idempotency-Key header a repeat returns the original entry.")
            .Produces<AuditEntry>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(ArgusScopes.Write);
        group.MapGet("", ListAsync)
            .WithSummary("Retrieve audit logs with filtering")
            .WithDescription("Filters: traceId, eventType, eventAction, status, actorType, actorId, targetType, targetId, source, tenantId, requestId, "
                + "ipAddress, httpMethod, httpPath, httpStatus, partnerId, actorEmail, resourceType, since/startTime, "
                + "until/endTime. limit 1..1000 (default 100), offset >= 0. Newest first by (timestamp desc, id desc). "
                + "Each page carries nextCursor while more entries follow: pass it as cursor (with the same filters, no offset) "
                + "for the next page. total is exact; it is computed on offset pages and skipped on cursor pages unless "
                + "includeTotal=true (includeTotal=false skips it anywhere).")
            .Produces<AuditPage>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(ArgusScopes.Read);
        group.MapGet("/{id}", GetAsync)
            .WithSummary("Fetch one audit log entry")
            .Produces<AuditEntry>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .RequireAuthorization(ArgusScopes.Read);
        return app;
    }

    private static async Task CreateAsync(HttpContext context, IArgusCluster cluster, TimeProvider time, IOptions<GatewayOptions> options)
    {
        var settings = options.Value;
        if (!IsJson(context.Request.ContentType))
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType,
                "Validation error: Content-Type must be application/json", "Content-Type");
            return;
        }

        if (!TryGetIdempotencyKey(context.Request, out var idempotencyKey, out var keyError))
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, keyError, IdempotencyKeyHeader);
            return;
        }

        AuditValidationException? invalid = null;
        var (withinLimit, parsed) = await RequestBody.ReadAsync(context.Request, settings.MaxBodyBytes, body =>
        {
            try
            {
                return RequestBody.WithSpan(body, AuditEntryJson.ReadRequest);
            }
            catch (AuditValidationException e)
            {
                invalid = e;
                return null;
            }
        });

        if (!withinLimit)
        {
            Rejections.Count(context, Rejections.TooLarge);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"Validation error: request body exceeds {settings.MaxBodyBytes} bytes", "body");
            return;
        }

        if (invalid is not null || parsed is null)
        {
            Rejections.Count(context, Rejections.Invalid);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, invalid!.Message, invalid.Field);
            return;
        }

        var scope = context.AccessScope();
        if (!TenantBinding.TryBind(parsed, scope, out var bound, out var refusal))
        {
            Rejections.Count(context, Rejections.Forbidden);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, refusal, "tenantId");
            return;
        }

        var entry = bound with
        {
            // Fixed before the first attempt: every retry of this request carries the same id. A
            // tenant's keys are its own: the same key from two tenants names two entries.
            Id = idempotencyKey is null ? EntryIds.NewId(time) : EntryIds.FromIdempotencyKey(TenantBinding.IdempotencyScope(IdempotencyScope, scope), idempotencyKey),
            TraceId = parsed.TraceId ?? TraceIdFromHeader(context.Request),
        };

        var result = await cluster.AppendAsync(entry, context.RequestAborted);
        Rejections.CountOutcome(context, result.Status);
        switch (result.Status)
        {
            case AppendStatus.Stored:
            case AppendStatus.Replayed:
                context.Response.Headers.Location = "/api/audit-logs/" + result.Entry!.Id;
                if (result.Status == AppendStatus.Replayed)
                {
                    context.Response.Headers[ReplayedHeader] = "true";
                }

                await ApiResponses.EntryAsync(context, StatusCodes.Status201Created, result.Entry);
                break;
            case AppendStatus.Conflict:
                await ApiResponses.ErrorAsync(context, StatusCodes.Status422UnprocessableEntity, result.Error!, IdempotencyKeyHeader);
                break;
            case AppendStatus.Rejected:
                await ApiResponses.ErrorAsync(context, StatusCodes.Status422UnprocessableEntity, result.Error!);
                break;
            default:
                // Overloaded, Unavailable, NotOwner: nothing acknowledged; a retry is safe.
                await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, result.Error!, retryAfterSeconds: settings.RetryAfterSeconds);
                break;
        }
    }

    private static async Task ListAsync(HttpContext context, IArgusCluster cluster, IOptions<GatewayOptions> options)
    {
        if (!AuditQueryParser.TryParse(context.Request.Query, out var query, out var error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        AuditPage page;
        try
        {
            page = await cluster.QueryAsync(context.AccessScope(), query, context.RequestAborted);
        }
        catch (AuditValidationException refused)
        {
            // A cursor is checked where the query runs (a silo), which may be behind this gateway.
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, refused.Message, refused.Field);
            return;
        }
        catch (ArgusUnavailableException unavailable)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, unavailable.Message,
                retryAfterSeconds: options.Value.RetryAfterSeconds);
            return;
        }

        await ApiResponses.PageAsync(context, page, cursorPage: query.Cursor is not null);
    }

    private static async Task GetAsync(HttpContext context, string id, IArgusCluster cluster)
    {
        if (!Guid.TryParseExact(id, "D", out var entryId))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                "Validation error: 'id' must be a UUID such as 550e8400-e29b-41d4-a716-446655440000", "id");
            return;
        }

        var entry = await cluster.FindAsync(context.AccessScope(), entryId, context.RequestAborted);
        if (entry is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, $"audit log {entryId} not found", "id");
            return;
        }

        await ApiResponses.EntryAsync(context, StatusCodes.Status200OK, entry);
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    /// <summary>An optional <c>Idempotency-Key</c>: 1 to 255 visible ASCII characters.</summary>
    private static bool TryGetIdempotencyKey(HttpRequest request, out string? key, out string error)
    {
        key = null;
        error = "";
        var values = request.Headers[IdempotencyKeyHeader];
        if (values.Count == 0)
        {
            return true;
        }

        var value = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(value) || value.Length > AuditLimits.MaxIdempotencyKeyLength || value.Any(c => c is < '!' or > '~'))
        {
            error = $"Validation error: header '{IdempotencyKeyHeader}' must be one value of 1 to {AuditLimits.MaxIdempotencyKeyLength} visible ASCII characters";
            return false;
        }

        key = value;
        return true;
    }

    /// <summary>The W3C <c>traceparent</c> trace-id, when the body names no trace. An invalid header is ignored, as the spec asks.</summary>
    private static Guid? TraceIdFromHeader(HttpRequest request) =>
        request.Headers.TryGetValue("traceparent", out var header) && TraceParent.TryGetTraceId(header.ToString(), out var traceId)
            ? traceId
            : null;
}
