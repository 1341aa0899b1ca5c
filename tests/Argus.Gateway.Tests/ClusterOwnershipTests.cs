using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>Silos share the partitions evenly, hand them over on the way out and take over a crashed silo's.</summary>
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

        await cluster.StopSiloAsync(cluster.Silos[0]);
        await cluster.WaitForStableOwnershipAsync();
        Assert.All(cluster.Ownership(), owned => Assert.Equal(6, owned.Length));

        await cluster.StopSiloAsync(cluster.Silos[0]);
        await cluster.WaitForStableOwnershipAsync();
        Assert.Equal(12, cluster.Ownership().Single().Length);

        var statuses = await cluster.Database.ScalarAsync<string>(
            "SELECT string_agg(silo_id || '=' || status, ',' ORDER BY silo_id) FROM argus_silos");
        Assert.Equal("silo-1=dead,silo-2=dead,silo-3=active", statuses);
        var published = await cluster.Database.ScalarAsync<string>("SELECT address FROM argus_silos WHERE silo_id = 'silo-3'");
        Assert.Equal(ArgusTestCluster.PublishedAddressOf(cluster.Silos[0]), published);
        Assert.StartsWith("h2c://127.0.0.1:", published);
    }

    [Fact]
    public async Task A_killed_silos_partitions_are_taken_over_under_new_epochs()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var victim = cluster.Silos[1];
        var orphaned = victim.Service<PartitionStreams>().All.Where(s => s.IsOwned).Select(s => s.Partition).ToArray();
        var epochsBefore = await EpochsAsync(cluster.Database, orphaned);

        await cluster.KillSiloAsync(victim);
        await cluster.WaitForStableOwnershipAsync();

        Assert.Equal(12, cluster.Ownership().Single().Length);
        var epochsAfter = await EpochsAsync(cluster.Database, orphaned);
        Assert.All(orphaned, p => Assert.True(epochsAfter[p] > epochsBefore[p], $"partition {p} kept epoch {epochsBefore[p]}"));
    }

    [Fact]
    public async Task A_zombie_that_lost_its_locks_cannot_commit_once_a_new_owner_took_over()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var zombie = cluster.Silos[1];
        var stream = zombie.Service<PartitionStreams>().All.First(s => s.IsOwned);
        var staleLease = stream.Lease!;

        // The zombie's connections drop while it lives on; the survivor takes its partitions.
        await cluster.DropConnectionsAsync(zombie);
        await cluster.StopSiloAsync(zombie);
        await cluster.WaitForStableOwnershipAsync();

        // A flush under the zombie's lease is refused by the fence and stores nothing.
        var store = cluster.Silos[0].Service<AuditStore>();
        var batch = new CommitBatch { CreatedAt = DateTimeOffset.UtcNow };
        batch.Add(new Grains.Abstractions.AuditEntry
        {
            Id = Guid.NewGuid(),
            Timestamp = DateTimeOffset.UtcNow,
            Status = Grains.Abstractions.AuditStatus.Success,
            ActorType = Grains.Abstractions.ActorType.Service,
            ActorId = "zombie",
            TargetType = Grains.Abstractions.TargetType.Service,
        }, staleLease.Partition, staleLease.LastSeq + 1);
        batch.AddFence(staleLease.Partition, staleLease.Epoch, staleLease.LastSeq, staleLease.LastSeq + 1);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => store.CommitAsync(batch, CancellationToken.None));
        Assert.Equal(AuditStore.FenceFailedState, refused.SqlState);
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = 'zombie'"));
    }

    [Fact]
    public async Task A_silo_whose_heartbeat_went_stale_is_declared_dead_by_the_survivors()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);

        // A silo that stopped heartbeating an hour ago, without ever saying goodbye.
        await cluster.Database.ExecuteAsync(
            "INSERT INTO argus_silos (silo_id, address, generation, status, heartbeat_at) VALUES ('ghost', 'h2c://192.0.2.1:1', 1, 'active', now() - interval '1 hour')");

        await Eventually.WaitUntilAsync(
            async () => await cluster.Database.ScalarAsync<string>("SELECT status FROM argus_silos WHERE silo_id = 'ghost'") == "dead",
            "the ghost silo declared dead");
        Assert.Equal(2L, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM argus_silos WHERE status = 'active'"));
    }

    [Fact]
    public async Task A_silo_that_finds_itself_declared_dead_stops_serving()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        var condemned = cluster.Silos[1];
        var lifetime = condemned.Service<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());

        await cluster.Database.ExecuteAsync("UPDATE argus_silos SET status = 'dead' WHERE silo_id = $1", cluster.IdOf(condemned));

        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(condemned.Service<PartitionStreams>().All, s => s.IsOwned);
        await cluster.StopSiloAsync(condemned);
        await cluster.WaitForStableOwnershipAsync();
        Assert.Equal(12, cluster.Ownership().Single().Length);
    }

    [Fact]
    public async Task Entries_of_one_trace_sent_through_different_silos_are_batched_together_by_its_owner()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12);
        var trace = Guid.NewGuid();
        var partition = Grains.Abstractions.Partitioning.PartitionHash.PartitionOf(trace, cluster.PartitionCount);
        var owner = cluster.Silos.Single(s => s.Service<PartitionStreams>()[partition].IsOwned);
        var writer = owner.Service<AuditLogWriter>();

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
        Assert.All(await Task.WhenAll(posts), r => Assert.Equal(System.Net.HttpStatusCode.Created, r.StatusCode));

        // All on the owner's partition, in at most two commits (the one that was waiting, then the rest).
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("SELECT count(DISTINCT partition_id) FROM audit_logs WHERE trace_id = $1", trace));
        Assert.InRange(await cluster.Database.ScalarAsync<long>("SELECT count(DISTINCT created_at) FROM audit_logs WHERE trace_id = $1", trace), 1L, 2L);
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
