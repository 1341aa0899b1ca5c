using System.Net;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Storage;
using Argus.Grains.Writing;
using Npgsql;
using Orleans.Runtime;

namespace Argus.Gateway.Tests;

/// <summary>
/// Silos share the partitions evenly, hand them over on the way out and take over a lost silo's,
/// each new owner under a new epoch: an activation left behind cannot commit.
/// </summary>
public sealed class ClusterOwnershipTests
{
    [Fact]
    public async Task Adding_silos_spreads_partitions_evenly_and_removing_them_gathers_them_back()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 1, partitionCount: 12);
        Assert.Equal(12, cluster.Ownership().Single().Length);

        await cluster.StartSiloAsync();
        await cluster.StartSiloAsync();
        await cluster.WaitForStableOwnershipAsync();
        Assert.All(cluster.Ownership(), owned => Assert.Equal(4, owned.Length));

        var first = cluster.Silos[0].Service<ILocalSiloDetails>().SiloAddress;
        await cluster.StopSiloAsync(cluster.Silos[0]);
        await cluster.WaitForStableOwnershipAsync();
        Assert.All(cluster.Ownership(), owned => Assert.Equal(6, owned.Length));

        await cluster.StopSiloAsync(cluster.Silos[0]);
        await cluster.WaitForStableOwnershipAsync();
        Assert.Equal(12, cluster.Ownership().Single().Length);

        // The survivor's membership saw the others leave; every partition's owner is the survivor's silo.
        var survivor = cluster.Silos[0];
        var membership = survivor.Service<IClusterMembershipService>();
        Assert.Equal(SiloStatus.Dead, membership.CurrentSnapshot.GetSiloStatus(first));
        var owner = survivor.Service<ILocalSiloDetails>().SiloAddress.ToParsableString();
        Assert.Equal(12L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM argus_partitions WHERE owner = $1", owner));
        Assert.Equal(HttpStatusCode.OK, (await survivor.Client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task A_killed_silos_partitions_are_taken_over_under_new_epochs()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var victim = cluster.Silos[1];
        var orphaned = victim.OwnedPartitions.ToArray();
        var epochsBefore = await EpochsAsync(cluster.Database, orphaned);

        await cluster.KillSiloAsync(victim);
        await cluster.WaitForStableOwnershipAsync();

        Assert.Equal(12, cluster.Ownership().Single().Length);
        var epochsAfter = await EpochsAsync(cluster.Database, orphaned);
        Assert.All(orphaned, p => Assert.True(epochsAfter[p] > epochsBefore[p], $"partition {p} kept epoch {epochsBefore[p]}"));
    }

    [Fact]
    public async Task An_activation_whose_partition_was_taken_over_cannot_commit_and_its_callers_are_served_by_the_next()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var trace = Guid.NewGuid();
        var partition = PartitionHash.PartitionOf(trace, cluster.PartitionCount);
        var owner = cluster.OwnerOf(partition);
        await PostAsync(owner.Client, trace, "before-takeover");
        var epochBefore = (await EpochsAsync(cluster.Database, [partition]))[partition];

        // Another activation takes the partition over (as during a membership change), while the
        // current one still runs and believes it owns the partition.
        await owner.Service<AuditStore>().TakeOwnershipAsync(partition, "another-activation", CancellationToken.None);

        // The old activation's commit fails its fence; the entry goes back to the caller, which sends
        // it again to the next activation: acknowledged once, stored once.
        var id = await PostAsync(cluster.Silos[0].Client, trace, "after-takeover");
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", id));
        Assert.True((await EpochsAsync(cluster.Database, [partition]))[partition] >= epochBefore + 2, "no new activation took the partition over");
        await DurabilityTests.AssertChainsHaveNoGapsAsync(cluster.Database);
        await cluster.WaitForStableOwnershipAsync();
    }

    [Fact]
    public async Task A_commit_under_a_stale_epoch_is_refused_and_stores_nothing()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 1, partitionCount: 12);
        var store = cluster.Silos[0].Service<AuditStore>();
        var stale = await store.TakeOwnershipAsync(3, "stale", CancellationToken.None);
        await store.TakeOwnershipAsync(3, "newer", CancellationToken.None);

        var batch = new CommitBatch { CreatedAt = DateTimeOffset.UtcNow };
        batch.Add(new Grains.Abstractions.AuditEntry
        {
            Id = Guid.NewGuid(),
            Timestamp = DateTimeOffset.UtcNow,
            Status = Grains.Abstractions.AuditStatus.Success,
            ActorType = Grains.Abstractions.ActorType.Service,
            ActorId = "zombie",
            TargetType = Grains.Abstractions.TargetType.Service,
        }, stale.Partition, stale.LastSeq + 1);
        batch.AddFence(stale.Partition, stale.Epoch, stale.LastSeq, stale.LastSeq + 1);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => store.CommitAsync(batch, CancellationToken.None));
        Assert.Equal(AuditStore.FenceFailedState, refused.SqlState);
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = 'zombie'"));
    }

    [Fact]
    public async Task Entries_of_one_trace_sent_through_different_silos_are_batched_together_by_its_owner()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12);
        var trace = Guid.NewGuid();
        var partition = PartitionHash.PartitionOf(trace, cluster.PartitionCount);
        var writer = cluster.OwnerOf(partition).Service<AuditLogWriter>();

        // Hold every writer inside Postgres while the trace's entries arrive from all three silos.
        await using var block = await WriterBlock.HoldAsync(cluster.Database);

        var clients = cluster.Silos.Select(s => s.CreateClient()).ToList();
        var posts = Enumerable.Range(0, 30).Select(i =>
        {
            var body = AuditJson.Minimal($"together-{i}");
            body["traceId"] = trace.ToString();
            return clients[i % 3].PostAsync("/api/audit-logs", AuditJson.Content(body));
        }).ToList();
        await Eventually.WaitUntilAsync(() => writer.PendingEntries >= 30, "the trace's 30 entries waiting at its owner");

        await block.ReleaseAsync();
        Assert.All(await Task.WhenAll(posts), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        // All on the owner's partition, in at most two commits (the one that was waiting, then the rest).
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("SELECT count(DISTINCT partition_id) FROM audit_logs WHERE trace_id = $1", trace));
        Assert.InRange(await cluster.Database.ScalarAsync<long>("SELECT count(DISTINCT created_at) FROM audit_logs WHERE trace_id = $1", trace), 1L, 2L);
    }

    private static async Task<Guid> PostAsync(HttpClient client, Guid trace, string actor)
    {
        var body = AuditJson.Minimal(actor);
        body["traceId"] = trace.ToString();
        using var response = await client.PostAsync("/api/audit-logs", AuditJson.Content(body));
        var answer = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {answer.ToJsonString()}");
        return Guid.Parse((string)answer["id"]!);
    }

    private static async Task<Dictionary<int, long>> EpochsAsync(TestDatabase database, int[] partitions)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT partition_id, epoch FROM argus_partitions WHERE partition_id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = partitions });
        await using var reader = await command.ExecuteReaderAsync();
        var epochs = new Dictionary<int, long>();
        while (await reader.ReadAsync())
        {
            epochs[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return epochs;
    }
}
