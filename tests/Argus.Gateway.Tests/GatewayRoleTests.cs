using System.Net;
using Argus.Client;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Argus.Gateway.Tests;

/// <summary>A gateway-only process and Argus.Client in cluster mode send entries straight to the owning silos.</summary>
public sealed class GatewayRoleTests
{
    [Fact]
    public async Task A_gateway_routes_each_entry_to_its_owner_and_reads_through_any_silo()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12);
        await using var gateway = await cluster.StartGatewayAsync();
        var trace = Guid.NewGuid();

        var responses = await Task.WhenAll(Enumerable.Range(0, 120).Select(async i =>
        {
            var body = AuditJson.Minimal($"via-gateway-{i}");
            body["traceId"] = (i % 2 == 0 ? trace : Guid.NewGuid()).ToString();
            using var response = await gateway.Client.PostAsync("/api/audit-logs", AuditJson.Content(body));
            return (response.StatusCode, Id: response.StatusCode == HttpStatusCode.Created ? (string?)(await response.ReadObjectAsync())["id"] : null);
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(120L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'via-gateway-%'"));
        var page = await (await gateway.Client.GetAsync($"/api/audit-logs?traceId={trace}&limit=1000")).ReadObjectAsync();
        Assert.Equal(60L, (long)page["total"]!);
        var one = await gateway.Client.GetAsync($"/api/audit-logs/{responses[0].Id}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync("/health")).StatusCode);

        // Those entries travelled over the silos' HTTP/2-only internal endpoints: HTTP/1.1 is not spoken there.
        var internalEndpoint = new UriBuilder(ArgusTestCluster.PublishedAddressOf(cluster.Silos[0])) { Scheme = "http" }.Uri;
        using (var http11 = new HttpClient { BaseAddress = internalEndpoint })
        {
            var refused = await Record.ExceptionAsync(async () =>
            {
                using var answer = await http11.GetAsync("/internal/v1/partitions");
                Assert.False(answer.IsSuccessStatusCode, $"HTTP/1.1 was answered {(int)answer.StatusCode} on the HTTP/2-only endpoint");
            });
            Assert.True(refused is null or HttpRequestException, refused?.Message);
        }

        // The gateway holds no audit state: no silo internals, no partitions of its own.
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync("/internal/v1/partitions")).StatusCode);
        var config = await (await gateway.Client.GetAsync("/v1/auditmanager/config")).ReadObjectAsync();
        Assert.Null(config["partitions"]);
    }

    [Fact]
    public async Task The_cluster_client_appends_straight_to_the_owning_silos()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var services = new ServiceCollection();
        services.AddArgusClusterClient(new ConfigurationBuilder().Build(), o => o.Seeds = cluster.Silos[0].BaseAddress.ToString());
        await using var provider = services.BuildServiceProvider();
        var argus = provider.GetRequiredService<IArgusCluster>();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => argus.AppendAsync(new AuditEntry
        {
            Id = Guid.CreateVersion7(),
            TraceId = Guid.NewGuid(),
            Timestamp = DateTimeOffset.UtcNow,
            Status = AuditStatus.Success,
            ActorType = ActorType.Service,
            ActorId = $"cluster-client-{i}",
            TargetType = TargetType.Resource,
        }, CancellationToken.None).AsTask()));

        Assert.All(results, r => Assert.Equal(AppendStatus.Stored, r.Status));
        Assert.Equal(50L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'cluster-client-%'"));
        Assert.Equal(50, (await argus.QueryAsync(new AuditQuery { ActorType = ActorType.Service, Limit = 1000 }, CancellationToken.None)).Total);

        // Sending an entry again (a retry after a lost answer) stores nothing new.
        var again = await argus.AppendAsync(results[0].Entry! with { CreatedAt = default }, CancellationToken.None);
        Assert.Equal(AppendStatus.Replayed, again.Status);
        Assert.Equal(50L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'cluster-client-%'"));
    }
}
