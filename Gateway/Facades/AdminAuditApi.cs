using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Gateway.Facades;

/// <summary>
/// The admin audit API (a FastAPI service's) at <c>/api/v1/admin/audit</c>, over the same queries
/// as Argus's own: page-numbered lists with the seed's snake_case filters and items, the
/// vocabularies of actions and resource types, statistics, and one entry. Errors are FastAPI's:
/// <c>422 {"detail": [...]}</c> listing every bad parameter, <c>{"detail": "..."}</c> otherwise.
/// <c>end_time</c> is inclusive, as the seed's users read it.
/// </summary>
public static class AdminAuditApi
{
    public const string BasePath = "/api/v1/admin/audit";

    private const int DefaultPerPage = 50, MaxPerPage = 500;

    private static readonly DocumentedParameter[] TimeRange =
    [
        new("start_time", "string", "Entries at or after this instant (ISO 8601 date-time or date; UTC when no offset)", "date-time"),
        new("end_time", "string", "Entries at or before this instant (inclusive; ISO 8601 date-time or date)", "date-time"),
    ];

    private static readonly DocumentedParameter TenantId = new("tenant_id", "string", "Only this tenant's entries");

    public static IEndpointRouteBuilder MapAdminAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(BasePath)
            .WithTags("Admin audit API (FastAPI)")
            .WithErrorDialect(ErrorDialect.FastApi)
            .RequireAuthorization(ArgusScopes.Read);
        DocumentedParameter[] listFilters =
        [
            new("page", "integer", "Page number, from 1", Default: 1, Minimum: 1),
            new("per_page", "integer", "Items per page", Default: DefaultPerPage, Minimum: 1, Maximum: MaxPerPage),
            TenantId,
            new("partner_id", "string", "Filter by partner (all tenants in partner)"),
            new("actor_id", "string", "Who acted"),
            new("actor_email", "string", "The actor's e-mail address"),
            new("action", "string", "The action (event type), e.g. user.login"),
            new("resource_type", "string", "The kind of resource acted on"),
            new("resource_id", "string", "The resource acted on"),
            new("result", "string", "success or failure, in any case"),
            .. TimeRange,
            new("ip_address", "string", "The client's IPv4 or IPv6 address"),
        ];
        // Routing matches the path with and without its trailing slash.
        group.MapGet("", ListAsync)
            .WithSummary("List Audit Logs")
            .WithDescription("List audit logs with filtering, newest first.")
            .WithQuery(listFilters)
            .Produces<AdminAuditList>(StatusCodes.Status200OK)
            .Produces<FastApiValidationError>(StatusCodes.Status422UnprocessableEntity)
            .ProducesRefusals<FastApiDetail>();

        group.MapGet("/actions", ActionsAsync)
            .WithSummary("List Audit Actions")
            .WithDescription("Get list of all audit action types.")
            .Produces<AdminAuditActions>(StatusCodes.Status200OK)
            .Produces<FastApiValidationError>(StatusCodes.Status422UnprocessableEntity)
            .ProducesRefusals<FastApiDetail>();
        group.MapGet("/resource-types", ResourceTypesAsync)
            .WithSummary("List Resource Types")
            .WithDescription("Get list of all resource types in audit logs.")
            .Produces<AdminAuditResourceTypes>(StatusCodes.Status200OK)
            .Produces<FastApiValidationError>(StatusCodes.Status422UnprocessableEntity)
            .ProducesRefusals<FastApiDetail>();
        group.MapGet("/stats", StatsAsync)
            .WithSummary("Get Audit Stats")
            .WithDescription("Get audit log statistics: counts in all, by result, by action and by resource type.")
            .WithQuery([TenantId, .. TimeRange])
            .Produces<AdminAuditStats>(StatusCodes.Status200OK)
            .Produces<FastApiValidationError>(StatusCodes.Status422UnprocessableEntity)
            .ProducesRefusals<FastApiDetail>();
        group.MapGet("/{log_id}", GetAsync)
            .WithSummary("Get Audit Log")
            .WithDescription("Get a single audit log entry with full details.")
            .Produces<AdminAuditItem>(StatusCodes.Status200OK)
            .Produces<FastApiDetail>(StatusCodes.Status404NotFound)
            .Produces<FastApiValidationError>(StatusCodes.Status422UnprocessableEntity)
            .ProducesRefusals<FastApiDetail>();
        return app;
    }

    private static async Task ListAsync(HttpContext context, IArgusCluster cluster)
    {
        var parameters = new FacadeParameters(context.Request.Query);
        var page = parameters.Integer("page", 1, 1, int.MaxValue);
        var perPage = parameters.Integer("per_page", DefaultPerPage, 1, MaxPerPage);
        var (since, until) = Range(parameters);
        var query = new AuditQuery
        {
            TenantId = parameters.Text("tenant_id", AuditLimits.MaxTenantIdLength),
            PartnerId = parameters.Text("partner_id", AuditLimits.MaxPartnerIdLength),
            ActorId = parameters.Text("actor_id", AuditLimits.MaxIdentifierLength),
            ActorEmail = parameters.Text("actor_email", AuditLimits.MaxActorEmailLength),
            EventType = parameters.Text("action", AuditLimits.MaxEventTypeLength),
            ResourceType = parameters.Text("resource_type", AuditLimits.MaxResourceTypeLength),
            TargetId = parameters.Text("resource_id", AuditLimits.MaxIdentifierLength),
            Status = parameters.Status("result"),
            IpAddress = parameters.IpAddress("ip_address"),
            Since = since,
            Until = until,
            Limit = perPage,
            Offset = parameters.Offset("page", page, perPage),
            IncludeTotal = true,
        };
        if (await FacadeReads.ReadAsync(context, scope => cluster.QueryAsync(scope, query, context.RequestAborted), parameters) is not { } result)
        {
            return;
        }

        var total = result.Total ?? 0;
        var items = result.Logs.Select(AdminAuditItem.Of).ToList();
        var pages = (total + perPage - 1) / perPage;
        await FacadeResponses.JsonAsync(context, new AdminAuditList(items, total, page, perPage, pages), FacadeJsonContext.Web.AdminAuditList);
    }

    private static async Task ActionsAsync(HttpContext context, IArgusCluster cluster)
    {
        if (await FacadeReads.ReadAsync(context, scope => cluster.GetEventTypesAsync(scope, context.RequestAborted)) is { } types)
        {
            await FacadeResponses.JsonAsync(context, new AdminAuditActions(types.EventTypes), FacadeJsonContext.Web.AdminAuditActions);
        }
    }

    private static async Task ResourceTypesAsync(HttpContext context, IArgusCluster cluster)
    {
        if (await FacadeReads.ReadAsync(context, scope => cluster.GetResourceTypesAsync(scope, context.RequestAborted)) is { } types)
        {
            await FacadeResponses.JsonAsync(context, new AdminAuditResourceTypes(types.ResourceTypes), FacadeJsonContext.Web.AdminAuditResourceTypes);
        }
    }

    private static async Task StatsAsync(HttpContext context, IArgusCluster cluster)
    {
        var parameters = new FacadeParameters(context.Request.Query);
        var tenant = parameters.Text("tenant_id", AuditLimits.MaxTenantIdLength);
        var (since, until) = Range(parameters);
        var query = new AuditStatsQuery { TenantId = tenant, Since = since, Until = until };
        if (await FacadeReads.ReadAsync(context, scope => cluster.GetStatsAsync(scope, query, context.RequestAborted), parameters) is { } stats)
        {
            var byResult = stats.ByStatus.ToDictionary(s => s.Key.ToLowerInvariant(), s => s.Value, StringComparer.Ordinal);
            await FacadeResponses.JsonAsync(context, new AdminAuditStats(stats.Total, byResult, stats.ByEventType, stats.ByResourceType),
                FacadeJsonContext.Web.AdminAuditStats);
        }
    }

    private static async Task GetAsync(HttpContext context, string log_id, IArgusCluster cluster)
    {
        if (await FacadeReads.FindAsync(context, cluster, log_id) is { } entry)
        {
            await FacadeResponses.JsonAsync(context, AdminAuditItem.Of(entry), FacadeJsonContext.Web.AdminAuditItem);
        }
    }

    /// <summary><c>start_time</c> and the inclusive <c>end_time</c>, as the half-open range Argus queries take.</summary>
    private static (DateTimeOffset? Since, DateTimeOffset? Until) Range(FacadeParameters parameters)
    {
        var start = parameters.Time("start_time")?.Instant;
        var end = parameters.Time("end_time")?.Instant;
        parameters.CheckOrder("start_time", start, "end_time", end);
        return (start, end is { } e ? IsoTime.ExclusiveEnd(e, wholeDay: false) : null);
    }
}
