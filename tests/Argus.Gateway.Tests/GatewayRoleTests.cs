using Argus.Grains.Abstractions.Security;
using System.Net;
using Argus.Client;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Argus.Gateway.Tests;

/// <summary>A gateway-only process and Argus.Client in cluster mode are Orleans clients: entries go straight to the owning silos.</summary>
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

        // The gateway holds no audit state: no partitions of its own, every entry went to an owning silo.
        Assert.Throws<InvalidOperationException>(() => gateway.Service<Grains.Partitions.LocalPartitions>());
        var config = await (await gateway.Client.GetAsync("/v1/auditmanager/config")).ReadObjectAsync();
        Assert.Null(config["partitions"]);
    }

    [Fact]
    public async Task A_gateway_serves_traces_stats_and_vocabularies_as_the_silos_do()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 8);
        await using var gateway = await cluster.StartGatewayAsync();
        var trace = Guid.NewGuid();
        var type = "GATEWAY_" + Guid.NewGuid().ToString("N");
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            var body = AuditJson.Minimal($"report-via-gateway-{i % 3}", $"2024-06-01T00:00:{i:00}Z");
            body["traceId"] = (i < 12 ? trace : Guid.NewGuid()).ToString();
            body["eventType"] = type;
            body["status"] = i == 5 ? "FAILURE" : "SUCCESS";
            using var response = await gateway.Client.PostAsync("/api/audit-logs", AuditJson.Content(body));
            return response.StatusCode;
        }));
        Assert.All(responses, status => Assert.Equal(HttpStatusCode.Created, status));

        foreach (var path in new[]
                 {
                     $"/api/traces/{trace}?limit=5", "/api/audit-logs/stats?since=2024-06-01T00:00:00Z&until=2024-06-01T00:00:20Z",
                     "/api/audit-logs/event-types", "/api/audit-logs/event-actions", "/api/audit-logs/target-types",
                 })
        {
            var viaGateway = await ReadOkAsync(gateway.Client, path);
            var viaSilo = await ReadOkAsync(cluster.Silos[1].Client, path);
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(viaSilo, viaGateway), $"{path}: {viaGateway.ToJsonString()} vs {viaSilo.ToJsonString()}");
        }

        var timeline = await ReadOkAsync(gateway.Client, $"/api/traces/{trace}?limit=5");
        Assert.Equal(12L, (long)timeline["summary"]!["entryCount"]!);
        Assert.Equal("FAILURE", (string?)timeline["summary"]!["outcome"]);
        Assert.Equal(5, timeline["entries"]!.AsArray().Count);
        Assert.True((bool)timeline["truncated"]!);
        var stats = await ReadOkAsync(gateway.Client, "/api/audit-logs/stats?since=2024-06-01T00:00:00Z&until=2024-06-01T00:00:20Z");
        Assert.Equal(20L, (long)stats["total"]!);
        Assert.Equal(20L, (long)stats["byEventType"]![type]!);
        Assert.Contains(type, (await ReadOkAsync(gateway.Client, "/api/audit-logs/event-types"))["eventTypes"]!.AsArray().Select(t => (string?)t));
        await AuditApi.AssertErrorAsync(await gateway.Client.GetAsync($"/api/traces/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "traceId", messageNamesField: false);
        await AuditApi.AssertErrorAsync(await gateway.Client.GetAsync("/api/traces/not-a-trace"), HttpStatusCode.BadRequest, "traceId");
    }

    private static async Task<System.Text.Json.Nodes.JsonObject> ReadOkAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body.ToJsonString()}");
        return body;
    }

    [Fact]
    public async Task A_gateway_makes_and_lists_signed_checkpoints_of_the_silos_heads()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 8);
        await using var gateway = await cluster.StartGatewayAsync();
        for (var i = 0; i < 10; i++)
        {
            await gateway.Client.CreateAsync(AuditJson.Minimal());
        }

        var made = await gateway.Client.MakeCheckpointAsync();

        Assert.Equal(10L, CheckpointCalls.Body(made)["heads"]!.AsArray().Sum(h => (long)h!["seq"]!));
        var listing = await cluster.Silos[0].Client.ListCheckpointsAsync("kind=heads&limit=1");
        var listed = listing["checkpoints"]!.AsArray().Single()!.AsObject();
        Assert.Equal(made.ToJsonString(), listed.ToJsonString());
        // The gateway signs with the silos' key (one file, as ./argus run gives every process).
        Assert.True(CheckpointCalls.VerifiesWith(listed, (string)(await gateway.Client.ListCheckpointsAsync())["publicKey"]!));
        Assert.True(CheckpointCalls.VerifiesWith(listed, (string)listing["publicKey"]!));
    }

    [Fact]
    public async Task The_cluster_client_appends_straight_to_the_owning_silos()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:Argus"] = cluster.Database.ConnectionString;
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddArgusClusterClient();
        using var host = builder.Build();
        await host.StartAsync();
        var argus = host.Services.GetRequiredService<IArgusCluster>();

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
        Assert.Equal(50, (await argus.QueryAsync(AccessScope.Unrestricted, new AuditQuery { ActorType = ActorType.Service, Limit = 1000 }, CancellationToken.None)).Total);

        // Sending an entry again (a retry after a lost answer) stores nothing new.
        var again = await argus.AppendAsync(results[0].Entry! with { CreatedAt = default }, CancellationToken.None);
        Assert.Equal(AppendStatus.Replayed, again.Status);
        Assert.Equal(50L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'cluster-client-%'"));

        // What the HTTP API refuses, the cluster client refuses too, naming the field, before anything is sent.
        var valid = results[1].Entry! with { Id = Guid.CreateVersion7(), ActorId = "cluster-client-refused" };
        foreach (var (invalid, field) in new (AuditEntry, string)[]
        {
            (valid with { ActorId = new string('a', 513) }, "actorId"),
            (valid with { ActorId = "" }, "actorId"),
            (valid with { Status = (AuditStatus)7 }, "status"),
            (valid with { RequestMetadata = "[1, 2]" }, "requestMetadata"),
            (valid with { ResponseMetadata = "{not json" }, "responseMetadata"),
            (valid with { IpAddress = "10.0.0.300" }, "ipAddress"),
            (valid with { HttpStatus = 42 }, "httpStatus"),
        })
        {
            var refused = await Assert.ThrowsAsync<Grains.Abstractions.Validation.AuditValidationException>(() => argus.AppendAsync(invalid, CancellationToken.None).AsTask());
            Assert.Equal(field, refused.Field);
        }

        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'cluster-client-refused%'"));

        // Stored as the API would have read it: the timestamp at the microsecond Postgres keeps.
        var precise = await argus.AppendAsync(valid with { Timestamp = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567) }, CancellationToken.None);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234560), precise.Entry!.Timestamp);
        Assert.Equal(precise.Entry, (await argus.FindAsync(AccessScope.Unrestricted, precise.Entry.Id, CancellationToken.None))! with { CreatedAt = precise.Entry.CreatedAt });
        await host.StopAsync();
    }
}
