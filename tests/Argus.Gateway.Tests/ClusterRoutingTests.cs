using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Argus.Grains.Abstractions.Partitioning;

namespace Argus.Gateway.Tests;

/// <summary>Any silo accepts any entry: it queues it when it owns the partition and calls the owner's grain otherwise.</summary>
public sealed class ClusterRoutingTests
{
    [Fact]
    public async Task Entries_posted_to_any_silo_are_stored_once_by_their_partitions_owner()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12);
        var clients = cluster.Silos.Select(s => s.CreateClient()).ToList();

        var ids = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => PostAsync(clients[i % 3], Guid.NewGuid(), $"routed-{i}")));

        Assert.Equal(300, ids.Distinct().Count());
        Assert.Equal(300L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", ids));
        await DurabilityTests.AssertChainsHaveNoGapsAsync(cluster.Database);
        Assert.All(await Task.WhenAll(clients.Select(c => c.GetAsync("/health"))), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Entries_forwarded_to_their_owner_keep_every_request_context_field()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 4);
        await cluster.WaitForStableOwnershipAsync();
        var ownedByOther = cluster.Ownership()[1];
        using var client = cluster.Silos[0].CreateClient();
        using var owner = cluster.Silos[1].CreateClient();

        for (var i = 0; i < 5; i++)
        {
            // A trace the silo posted to does not own: its entry travels to the owner and back as JSON.
            var trace = Guid.NewGuid();
            while (!ownedByOther.Contains(PartitionHash.PartitionOf(trace, cluster.PartitionCount)))
            {
                trace = Guid.NewGuid();
            }

            var body = AuditJson.Minimal($"forwarded-{i}");
            body["traceId"] = trace.ToString();
            body["source"] = "urn:forwarded";
            body["tenantId"] = $"tenant-{i}";
            body["requestId"] = $"req-{trace:N}";
            body["ipAddress"] = $"2001:DB8::{i + 1}";
            body["userAgent"] = "forwarder/1.0";
            body["httpMethod"] = "post";
            body["httpPath"] = $"/v1/items/{i}";
            body["httpStatus"] = 201 + i;
            body["latencyMs"] = 1.5 * i;

            var created = await client.CreateAsync(body);

            var expected = body.DeepClone().AsObject();
            expected["ipAddress"] = $"2001:db8::{i + 1}";
            expected["httpMethod"] = "POST";
            foreach (var (name, value) in expected)
            {
                Assert.True(JsonNode.DeepEquals(value, created[name]), $"{name}: sent {value?.ToJsonString()}, acknowledged {created[name]?.ToJsonString()}");
            }

            var stored = await owner.GetEntryAsync(Guid.Parse((string)created["id"]!));
            Assert.True(JsonNode.DeepEquals(created, stored), $"{created.ToJsonString()} != {stored.ToJsonString()}");
        }

        Assert.Equal(5L, await cluster.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE source = 'urn:forwarded' AND http_method = 'POST' AND ip_address << '2001:db8::/64'"));
    }

    [Fact]
    public async Task A_node_queues_entries_of_its_own_partitions_directly_and_sends_the_others_to_their_owner_grain()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var (here, there) = (cluster.Silos[0], cluster.Silos[1]);
        const string append = nameof(Grains.Abstractions.IPartitionGrain) + "." + nameof(Grains.Abstractions.IPartitionGrain.AppendAsync);
        var before = (Here: here.GrainCalls.Arrived(append), There: there.GrainCalls.Arrived(append));

        foreach (var (owner, i) in Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? here : there, i)))
        {
            var trace = Guid.NewGuid();
            while (!owner.OwnedPartitions.Contains(PartitionHash.PartitionOf(trace, cluster.PartitionCount)))
            {
                trace = Guid.NewGuid();
            }

            await PostAsync(here.Client, trace, $"direct-or-grain-{i}");
        }

        // Ten entries of its own partitions went straight into their owners' queues, ten as grain calls to the other silo.
        Assert.Equal(before.Here, here.GrainCalls.Arrived(append));
        Assert.Equal(before.There + 10, there.GrainCalls.Arrived(append));
        Assert.Equal(20L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'direct-or-grain-%'"));
        await DurabilityTests.AssertChainsHaveNoGapsAsync(cluster.Database);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Losing_a_silo_under_continuous_ingest_loses_no_acknowledged_entry_and_stores_none_twice(bool abruptly, bool throughGateway)
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12);
        await using var gateway = throughGateway ? await cluster.StartGatewayAsync() : null;
        var entry = gateway ?? cluster.Silos[0];
        var leaving = cluster.Silos[2];
        using var client = entry.CreateClient();
        var acknowledged = new ConcurrentBag<Guid>();
        var failures = new ConcurrentBag<HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        var enoughBefore = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // 16 writers post through a silo that stays (or a gateway), so their entries keep flowing to every owner.
        var writers = Enumerable.Range(0, 16).Select(async w =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var body = AuditJson.Minimal($"move-{w}-{i}");
                body["traceId"] = Guid.NewGuid().ToString();
                using var response = await client.PostAsync("/api/audit-logs", AuditJson.Content(body));
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    acknowledged.Add(Guid.Parse((string)(await response.ReadObjectAsync())["id"]!));
                    if (acknowledged.Count >= 200)
                    {
                        enoughBefore.TrySetResult();
                    }
                }
                else
                {
                    failures.Add(response.StatusCode);
                }
            }
        }).ToList();

        await enoughBefore.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var beforeLoss = acknowledged.Count;
        if (abruptly)
        {
            await cluster.KillSiloAsync(leaving);
        }
        else
        {
            await cluster.StopSiloAsync(leaving);
        }

        await cluster.WaitForStableOwnershipAsync();
        var afterMove = acknowledged.Count;
        await Eventually.WaitUntilAsync(() => acknowledged.Count >= afterMove + 200, "200 more entries acknowledged after the move", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(acknowledged.Count > beforeLoss + 200, $"ingest did not continue after the move ({beforeLoss} -> {acknowledged.Count})");
        Assert.All(failures, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        var ids = acknowledged.ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal((long)ids.Length, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", ids));
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>("SELECT count(*) - count(DISTINCT id) FROM audit_logs"));
        await DurabilityTests.AssertChainsHaveNoGapsAsync(cluster.Database);
    }

    private static async Task<Guid> PostAsync(HttpClient client, Guid trace, string actor)
    {
        var body = AuditJson.Minimal(actor);
        body["traceId"] = trace.ToString();
        using var response = await client.PostAsync("/api/audit-logs", AuditJson.Content(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Guid.Parse((string)(await response.ReadObjectAsync())["id"]!);
    }
}
