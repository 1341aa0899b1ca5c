using System.Text.Json;
using System.Text.Json.Serialization;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;

namespace Argus.Gateway.Facades;

/// <summary>
/// The audit-events API (a FastAPI service's) at <c>/v1/audit/events/{event_id}</c>: one entry as
/// an <see cref="AuditEventResponse"/>. An id that is not a stored entry's (or not a UUID) is
/// <c>404 {"detail": "Not Found"}</c>; a query parameter is <c>422</c>, since the endpoint takes none.
/// </summary>
public static class AuditEventsApi
{
    public const string BasePath = "/v1/audit";

    public static IEndpointRouteBuilder MapAuditEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup(BasePath)
            .WithTags("Audit events API (FastAPI)")
            .WithErrorDialect(ErrorDialect.FastApi)
            .RequireAuthorization(ArgusScopes.Read)
            .MapGet("/events/{event_id}", GetAsync)
            .WithSummary("Get Audit Event")
            .WithDescription("One audit event by id. Authenticate with X-API-Key or Authorization: Bearer.")
            .Produces<AuditEventResponse>(StatusCodes.Status200OK)
            .Produces<FastApiDetail>(StatusCodes.Status404NotFound)
            .Produces<FastApiValidationError>(StatusCodes.Status422UnprocessableEntity)
            .ProducesRefusals<FastApiDetail>();
        return app;
    }

    private static async Task GetAsync(HttpContext context, string event_id, IArgusCluster cluster)
    {
        if (await FacadeReads.FindAsync(context, cluster, event_id) is { } entry)
        {
            await FacadeResponses.JsonAsync(context, AuditEventResponse.Of(entry), FacadeJsonContext.Web.AuditEventResponse);
        }
    }
}

/// <summary>The audit-events API's <c>AuditEventResponse</c>: all 26 fields, null when absent.</summary>
public sealed record AuditEventResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("user_id")] long? UserId,
    [property: JsonPropertyName("actor_type")] string ActorType,
    [property: JsonPropertyName("actor_id")] string? ActorId,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("event_group")] string EventGroup,
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("resource_type")] string? ResourceType,
    [property: JsonPropertyName("resource_id")] string? ResourceId,
    [property: JsonPropertyName("session_id")] string? SessionId,
    [property: JsonPropertyName("vm_id")] string? VmId,
    [property: JsonPropertyName("task_id")] long? TaskId,
    [property: JsonPropertyName("request_id")] string? RequestId,
    [property: JsonPropertyName("correlation_id")] string? CorrelationId,
    [property: JsonPropertyName("http_method")] string? HttpMethod,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("http_status")] int? HttpStatus,
    [property: JsonPropertyName("latency_ms")] double? LatencyMs,
    [property: JsonPropertyName("ip_address")] string? IpAddress,
    [property: JsonPropertyName("user_agent")] string? UserAgent,
    [property: JsonPropertyName("node_ip")] string? NodeIp,
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    [property: JsonPropertyName("event_payload")] JsonElement? EventPayload,
    [property: JsonPropertyName("error_message")] string? ErrorMessage)
{
    /// <summary>What the response says of an entry without a group, a source or an event type (all three are required there).</summary>
    public const string DefaultEventGroup = "default", UnknownSource = "unknown", UnknownEventType = "unknown";

    /// <summary>
    /// The projection: <c>created_at</c> is the entry's timestamp, <c>path</c> its HTTP path,
    /// <c>resource_id</c> its target, <c>event_payload</c> its additional metadata; actor type and
    /// status by their Argus names.
    /// </summary>
    public static AuditEventResponse Of(AuditEntry entry) => new(
        entry.Id,
        entry.Timestamp,
        entry.UserId,
        entry.ActorType.ToWire(),
        entry.ActorId,
        entry.Source ?? UnknownSource,
        entry.EventGroup ?? DefaultEventGroup,
        entry.EventType ?? UnknownEventType,
        entry.Status.ToWire(),
        entry.ResourceType,
        entry.TargetId,
        entry.SessionId,
        entry.VmId,
        entry.TaskId,
        entry.RequestId,
        entry.CorrelationId,
        entry.HttpMethod,
        entry.HttpPath,
        entry.HttpStatus,
        entry.LatencyMs,
        entry.IpAddress,
        entry.UserAgent,
        entry.NodeIp,
        entry.WorkerId,
        FacadeJsonContext.Element(entry.AdditionalMetadata),
        entry.ErrorMessage);
}
