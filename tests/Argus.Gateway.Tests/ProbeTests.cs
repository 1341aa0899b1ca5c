using System.Net;
using Argus.TestInfrastructure;

namespace Argus.Gateway.Tests;

/// <summary>
/// Liveness and readiness probes: live while the process serves, ready only while Postgres answers
/// and the silo owns its partitions (a gateway: while the cluster is healthy); both anonymous.
/// </summary>
public sealed class ProbeTests
{
    [Fact]
    public async Task A_node_is_live_and_ready_once_it_owns_its_partitions_and_not_ready_while_postgres_is_down()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        using var anonymous = node.CreateAnonymousClient();

        await AssertProbeAsync(anonymous, "/health/live", HttpStatusCode.OK, "healthy");
        await AssertProbeAsync(anonymous, "/health/ready", HttpStatusCode.OK, "healthy");

        await using (await PostgresOutage.BeginAsync(database))
        {
            var reason = await AssertProbeAsync(anonymous, "/health/ready", HttpStatusCode.ServiceUnavailable, "unhealthy");
            Assert.Equal("Postgres does not answer", reason);
            await AssertProbeAsync(anonymous, "/health/live", HttpStatusCode.OK, "healthy");
        }

        await AssertProbeAsync(anonymous, "/health/ready", HttpStatusCode.OK, "healthy");
    }

    [Fact]
    public async Task A_gateway_is_ready_while_the_cluster_behind_it_is_healthy()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 8);
        await using var gateway = await cluster.StartGatewayAsync();
        using var anonymous = gateway.CreateAnonymousClient();

        await AssertProbeAsync(anonymous, "/health/live", HttpStatusCode.OK, "healthy");
        await AssertProbeAsync(anonymous, "/health/ready", HttpStatusCode.OK, "healthy");
        foreach (var silo in cluster.Silos)
        {
            await AssertProbeAsync(silo.CreateAnonymousClient(), "/health/ready", HttpStatusCode.OK, "healthy");
        }
    }

    private static async Task<string?> AssertProbeAsync(HttpClient client, string path, HttpStatusCode status, string expected)
    {
        using var response = await client.GetAsync(path);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == status, $"{path}: {(int)response.StatusCode} {body.ToJsonString()}");
        Assert.Equal(expected, (string?)body["status"]);
        Assert.Equal("argus", (string?)body["service"]);
        return (string?)body["reason"];
    }
}
