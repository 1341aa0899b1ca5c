using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Argus.Gateway.Security;

namespace Argus.Gateway.Apis;

/// <summary>
/// Summaries of the audit log: <c>GET /api/audit-logs/stats</c> and the vocabularies
/// <c>event-types</c>, <c>resource-types</c>, <c>event-actions</c> and <c>target-types</c>. Literal segments take
/// precedence over <c>/api/audit-logs/{id}</c> in routing, so none of them is read as an entry id.
/// </summary>
public static class AuditReportsApi
{
    private static readonly EventActionList EventActions = new(WireNames.EventActions);

    private static readonly TargetTypeList TargetTypes = new(WireNames.TargetTypes);

    public static IEndpointRouteBuilder MapAuditReportsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit-logs").WithTags("Audit reports").RequireAuthorization(ArgusScopes.Read);
        group.MapGet("/stats", StatsAsync)
            .WithSummary("Count audit logs by status, event type, actor type, event action and resource type")
            .WithDescription("Over an optional time range: since/startTime (inclusive), until/endTime (exclusive), RFC 3339; "
                + "optionally of one tenant (tenantId). "
                + "Closed vocabularies list every value (zero included); event types are listed most frequent first, at most "
                + $"{ReportLimits.MaxEventTypes} (eventTypesTruncated beyond). Entries without an event type or action count in total only.")
            .Produces<AuditStats>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
        group.MapGet("/event-types", EventTypesAsync)
            .WithSummary("List the distinct event types stored")
            .WithDescription($"In ordinal order, at most {ReportLimits.MaxEventTypes} (truncated says when there are more).")
            .Produces<EventTypeList>(StatusCodes.Status200OK);
        group.MapGet("/resource-types", ResourceTypesAsync)
            .WithSummary("List the distinct resource types stored")
            .WithDescription($"In ordinal order, at most {ReportLimits.MaxEventTypes} (truncated says when there are more).")
            .Produces<ResourceTypeList>(StatusCodes.Status200OK);
        group.MapGet("/event-actions", () => TypedResults.Json(EventActions, ArgusJsonContext.Web.EventActionList))
            .WithSummary("List the event actions an entry may carry")
            .Produces<EventActionList>(StatusCodes.Status200OK);
        group.MapGet("/target-types", () => TypedResults.Json(TargetTypes, ArgusJsonContext.Web.TargetTypeList))
            .WithSummary("List the target types an entry may carry")
            .Produces<TargetTypeList>(StatusCodes.Status200OK);
        return app;
    }

    private static async Task StatsAsync(HttpContext context, IArgusCluster cluster)
    {
        if (!AuditQueryParser.TryParseStats(context.Request.Query, out var query, out var error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        var stats = await cluster.GetStatsAsync(context.AccessScope(), query, context.RequestAborted);
        await ApiResponses.JsonAsync(context, stats, ArgusJsonContext.Web.AuditStats);
    }

    private static Task EventTypesAsync(HttpContext context, IArgusCluster cluster) =>
        StoredValuesAsync(context, scope => cluster.GetEventTypesAsync(scope, context.RequestAborted), ArgusJsonContext.Web.EventTypeList);

    private static Task ResourceTypesAsync(HttpContext context, IArgusCluster cluster) =>
        StoredValuesAsync(context, scope => cluster.GetResourceTypesAsync(scope, context.RequestAborted), ArgusJsonContext.Web.ResourceTypeList);

    /// <summary>A list of the values stored in one column; the endpoint takes no parameter.</summary>
    private static async Task StoredValuesAsync<T>(HttpContext context, Func<Grains.Abstractions.Security.AccessScope, Task<T>> read, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (!AuditQueryParser.TryParseNone(context.Request.Query, out var error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        await ApiResponses.JsonAsync(context, await read(context.AccessScope()), type);
    }
}
