using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Argus.Gateway.Security;

namespace Argus.Gateway.Apis;

/// <summary><c>GET /api/traces/{traceId}</c>: one trace as a timeline, oldest first, with a summary of the whole trace.</summary>
public static class TracesApi
{
    public static IEndpointRouteBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/traces/{traceId}", GetAsync)
            .WithTags("Traces")
            .WithSummary("Follow one trace end to end")
            .WithDescription($"The trace's entries oldest first by (timestamp asc, id asc), at most limit of them (1..{ReportLimits.MaxTraceLimit}, "
                + $"default {ReportLimits.DefaultTraceLimit}; truncated says when the trace has more), and a summary of the whole trace: "
                + "entry count, first and last timestamp, duration, successes, failures, outcome (FAILURE if any entry failed) and actors.")
            .Produces<TraceTimeline>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .RequireAuthorization(ArgusScopes.Read);
        return app;
    }

    private static async Task GetAsync(HttpContext context, string traceId, IArgusCluster cluster)
    {
        if (!TraceParent.TryParseTraceId(traceId, out var trace))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                "Validation error: 'traceId' must be a UUID such as 4bf92f35-77b3-4da6-a3ce-929d0e0e4736 or a W3C trace-id of 32 hex digits such as 4bf92f3577b34da6a3ce929d0e0e4736", "traceId");
            return;
        }

        if (!AuditQueryParser.TryParseInteger(context.Request.Query, "limit", 1, ReportLimits.MaxTraceLimit, out var limit, out var error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        var timeline = await cluster.GetTraceAsync(context.AccessScope(), trace, limit ?? ReportLimits.DefaultTraceLimit, context.RequestAborted);
        if (timeline is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, $"no audit log has trace {trace}", "traceId");
            return;
        }

        await ApiResponses.JsonAsync(context, timeline, ArgusJsonContext.Web.TraceTimeline);
    }
}
