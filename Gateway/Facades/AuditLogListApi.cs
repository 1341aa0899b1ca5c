using System.Text.Json;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Gateway.Facades;

/// <summary>
/// The Kubernetes-style audit API at <c>/api/v1/audit</c>: an <c>AuditLogList</c> page, newest
/// first, filtered by action, user, resource and a time range given as ISO 8601 dates or
/// date-times (a bare-date <c>until</c> includes that whole day; a date-time one is inclusive).
/// Errors are Kubernetes <c>Status</c> objects.
/// </summary>
public static class AuditLogListApi
{
    public const string BasePath = "/api/v1/audit";

    private const int DefaultPageSize = 50, MaxPageSize = 200;

    public static IEndpointRouteBuilder MapAuditLogListApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup(BasePath)
            .WithTags("Audit log list API (Kubernetes style)")
            .WithErrorDialect(ErrorDialect.Kubernetes)
            .RequireAuthorization(ArgusScopes.Read)
            .MapGet("", ListAsync)
            .WithSummary("List Audit Events")
            .WithDescription("Newest first. Errors are Kubernetes Status objects.")
            .WithQuery(
                new DocumentedParameter("action", "string", "Filter by action type, e.g. approval.approve"),
                new DocumentedParameter("user", "string", "Filter by user who performed the action"),
                new DocumentedParameter("resource", "string", "Filter by affected resource (e.g., INC-20260319-001)"),
                new DocumentedParameter("since", "string", "Filter events from a given ISO 8601 date or date-time (inclusive)"),
                new DocumentedParameter("until", "string", "Filter events up to a given ISO 8601 date (that whole day) or date-time (inclusive)"),
                new DocumentedParameter("page", "integer", "Page number", Default: 1, Minimum: 1),
                new DocumentedParameter("pageSize", "integer", $"Items per page (maximum {MaxPageSize})", Default: DefaultPageSize, Minimum: 1, Maximum: MaxPageSize))
            .Produces<AuditLogList>(StatusCodes.Status200OK)
            .Produces<KubernetesStatus>(StatusCodes.Status400BadRequest)
            .ProducesRefusals<KubernetesStatus>();
        return app;
    }

    private static async Task ListAsync(HttpContext context, IArgusCluster cluster)
    {
        var parameters = new FacadeParameters(context.Request.Query);
        var page = parameters.Integer("page", 1, 1, int.MaxValue);
        var pageSize = parameters.Integer("pageSize", DefaultPageSize, 1, MaxPageSize);
        var since = parameters.Time("since");
        var until = parameters.Time("until");
        parameters.CheckOrder("since", since?.Instant, "until", until?.Instant);
        var query = new AuditQuery
        {
            EventType = parameters.Text("action", AuditLimits.MaxEventTypeLength),
            ActorId = parameters.Text("user", AuditLimits.MaxIdentifierLength),
            TargetId = parameters.Text("resource", AuditLimits.MaxIdentifierLength),
            Since = since?.Instant,
            Until = until is var (end, wholeDay) ? IsoTime.ExclusiveEnd(end, wholeDay) : null,
            Limit = pageSize,
            Offset = parameters.Offset("page", page, pageSize),
            IncludeTotal = true,
        };
        if (await FacadeReads.ReadAsync(context, scope => cluster.QueryAsync(scope, query, context.RequestAborted), parameters) is { } result)
        {
            var list = new AuditLogList(new AuditLogListMetadata(result.Total ?? 0, page, pageSize), result.Logs.Select(AuditLogItem.Of).ToList());
            await FacadeResponses.JsonAsync(context, list, FacadeJsonContext.Web.AuditLogList);
        }
    }
}

/// <summary>A page: <c>{"apiVersion": "v1", "kind": "AuditLogList", "metadata", "items"}</c>.</summary>
public sealed record AuditLogList(AuditLogListMetadata Metadata, IReadOnlyList<AuditLogItem> Items)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-2)]
    public string ApiVersion => "v1";

    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Kind => "AuditLogList";
}

public sealed record AuditLogListMetadata(long TotalCount, int Page, int PageSize);

/// <summary>An entry as the list shows it: action is the event type, user the actor, resource the target, details the additional metadata.</summary>
public sealed record AuditLogItem(
    Guid Id,
    DateTimeOffset Timestamp,
    string? Action,
    string User,
    string? Role,
    string? Resource,
    string? ResourceType,
    string? Namespace,
    JsonElement? Details,
    [property: System.Text.Json.Serialization.JsonPropertyName("sourceIP")] string? SourceIP,
    string? UserAgent)
{
    public static AuditLogItem Of(AuditEntry entry) => new(
        entry.Id,
        entry.Timestamp,
        entry.EventType,
        entry.ActorId,
        entry.Role,
        entry.TargetId,
        entry.ResourceType,
        entry.Namespace,
        FacadeJsonContext.Element(entry.AdditionalMetadata),
        entry.IpAddress,
        entry.UserAgent);
}
