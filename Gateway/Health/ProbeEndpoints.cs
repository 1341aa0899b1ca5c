using Argus.Gateway.Apis;
using Argus.Gateway.Hosting;
using Argus.Gateway.Options;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Argus.Gateway.Health;

/// <summary>
/// Probes for orchestrators, on ASP.NET Core health checks: <c>/health/live</c> (the process
/// serves requests: restart it when this fails) and <c>/health/ready</c> (it can do its work:
/// send it traffic only while this holds). A node is ready when Postgres answers it, its silo is
/// active in the cluster and it owns every partition assigned to it; a gateway when Postgres
/// answers it and the cluster reports healthy. <c>/health</c> keeps its contract (the cluster's health).
/// </summary>
public static class ProbeEndpoints
{
    public const string LivePath = "/health/live";

    public const string ReadyPath = "/health/ready";

    private const string Live = "live";

    private const string Ready = "ready";

    public static IServiceCollection AddArgusProbes(this IServiceCollection services, NodeRole role)
    {
        var checks = services.AddHealthChecks().AddCheck(Live, () => HealthCheckResult.Healthy("serving"), tags: [Live]);
        _ = role == NodeRole.Gateway
            ? checks.AddCheck<GatewayReadiness>(Ready, tags: [Ready])
            : checks.AddCheck<NodeReadiness>(Ready, tags: [Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapArgusProbes(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(LivePath, Options(Live)).AllowAnonymous().WithTags("Operations").WithSummary("Liveness: the process serves requests");
        app.MapHealthChecks(ReadyPath, Options(Ready)).AllowAnonymous().WithTags("Operations")
            .WithSummary("Readiness: Postgres answers, the silo is active and owns its partitions (a gateway: the cluster is healthy)");
        return app;
    }

    private static HealthCheckOptions Options(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = (context, report) =>
        {
            var healthy = report.Status == HealthStatus.Healthy;
            var reason = healthy ? null : string.Join("; ", report.Entries.Values.Select(e => e.Description ?? e.Exception?.Message).Where(d => d is not null));
            return context.Response.WriteAsJsonAsync(
                new HealthResponse(BuildInfo.Service, healthy ? "healthy" : "unhealthy", reason),
                ArgusJsonContext.Web.HealthResponse,
                "application/json; charset=utf-8",
                context.RequestAborted);
        },
    };

    /// <summary>A node: Postgres answers, this silo is active, and each partition assigned to it is owned here.</summary>
    internal sealed class NodeReadiness(
        AuthSetup.SecurityDataSource pool, IClusterMembershipService membership, ILocalSiloDetails silo, LocalPartitions partitions) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (await PingAsync(pool, cancellationToken) is { } down)
            {
                return down;
            }

            var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();
            var self = active.IndexOf(silo.SiloAddress);
            if (self < 0 || !partitions.IsReady)
            {
                return HealthCheckResult.Unhealthy("this silo is not active in the cluster");
            }

            var owners = PartitionAssignment.Assign(partitions.PartitionCount, active.Select(s => s.ToParsableString()).ToList());
            var missing = Enumerable.Range(0, partitions.PartitionCount).Count(p => owners[p] == self && !partitions.IsOwned(p));
            return missing == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{missing} of the partitions assigned to this silo are not owned yet");
        }
    }

    /// <summary>A gateway: Postgres answers (credentials are read there) and the cluster behind it is healthy.</summary>
    internal sealed class GatewayReadiness(AuthSetup.SecurityDataSource pool, IArgusCluster cluster, IOptions<GatewayOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (await PingAsync(pool, cancellationToken) is { } down)
            {
                return down;
            }

            var report = await OperationsApi.CheckHealthAsync(cluster, options.Value.HealthTimeout, cancellationToken);
            return report.Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(report.Reason ?? "the cluster is not healthy");
        }
    }

    private static async Task<HealthCheckResult?> PingAsync(AuthSetup.SecurityDataSource pool, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = pool.Value.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(deadline.Token);
            return null;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Postgres does not answer");
        }
    }
}
