using Argus.Gateway.Options;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Apis;

/// <summary><c>GET /health</c> and <c>GET /version</c>.</summary>
public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", HealthAsync)
            .WithTags("Operations")
            .WithSummary("Service health check")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();
        app.MapGet("/", () => Results.Text(Index, "application/json; charset=utf-8"))
            .ExcludeFromDescription()
            .AllowAnonymous();
        app.MapGet("/version", () => TypedResults.Json(
                new VersionResponse(BuildInfo.Service, BuildInfo.Version, BuildInfo.BuildTime, BuildInfo.GitCommit),
                ArgusJsonContext.Web.VersionResponse))
            .WithTags("Operations")
            .WithSummary("Service version information")
            .Produces<VersionResponse>(StatusCodes.Status200OK)
            .AllowAnonymous();
        return app;
    }

    /// <summary>What a person or tool opening the service's root finds: where the API and its documentation are.</summary>
    private static readonly string Index = System.Text.Json.JsonSerializer.Serialize(
        new Dictionary<string, string>
        {
            ["service"] = BuildInfo.Service,
            ["version"] = BuildInfo.Version,
            ["docs"] = "/docs",
            ["openapi"] = "/openapi.json",
            ["api"] = "/api/audit-logs",
            ["cloudEvents"] = CloudEvents.CloudEventsApi.BasePath,
            ["cloudEventsDocs"] = CloudEvents.CloudEventsApi.BasePath + "/redoc",
            ["health"] = "/health",
        },
        ServiceIndexJson.Default.DictionaryStringString);

    /// <summary>200 only while Postgres answers and every partition has an owner; 503 with the reason otherwise.</summary>
    private static async Task<IResult> HealthAsync(IArgusCluster cluster, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var report = await CheckHealthAsync(cluster, options.Value.HealthTimeout, cancellationToken);
        return TypedResults.Json(
            new HealthResponse(BuildInfo.Service, report.Healthy ? "healthy" : "unhealthy", report.Reason),
            ArgusJsonContext.Web.HealthResponse,
            statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The cluster's health, or unhealthy when it cannot tell within <paramref name="timeout"/>.</summary>
    internal static async Task<HealthReport> CheckHealthAsync(IArgusCluster cluster, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await cluster.CheckHealthAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthReport(false, "health check timed out");
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ServiceIndexJson : System.Text.Json.Serialization.JsonSerializerContext;
