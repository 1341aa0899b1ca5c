using Argus.Grains.Abstractions;
using Argus.Grains.Integrity;
using Argus.Grains.Storage;
using Argus.TestInfrastructure;
using Npgsql;

namespace Argus.Grains.Tests;

/// <summary>
/// A log stored before hash chains existed: the migration copies it into the monthly partitions with
/// every chain computed (no row updated), records each head, and new commits continue the chains.
/// </summary>
public sealed class ChainMigrationTests
{
    [Fact]
    public async Task Entries_stored_before_chains_are_chained_by_the_migration_and_new_ones_continue_them()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await MigratedDatabase.Migrator(dataSource).MigrateAsync(13, CancellationToken.None);
        var store = new AuditStore(dataSource);
        await store.EnsureClusterAsync(MigratedDatabase.PartitionCount, CancellationToken.None);

        // 30 entries over three months and two partitions, stored as version 13 stored them.
        await database.ExecuteAsync("""
            INSERT INTO audit_logs (id, occurred_at, status, actor_type, actor_id, target_type, created_at, partition_id, seq,
                                    request_metadata, ip_address, latency_ms)
            SELECT gen_random_uuid(), timestamptz '2025-01-15 00:00:00+00' + g * interval '3 days', 'SUCCESS', 'SERVICE', 'old-' || g,
                   'RESOURCE', now(), g % 2, g / 2 + 1, jsonb_build_object('n', g, 'x', 1.50), '10.0.0.1', g / 3.0
              FROM generate_series(0, 29) AS g
            """);
        await database.ExecuteAsync("UPDATE argus_partitions SET last_seq = 15 WHERE partition_id IN (0, 1)");

        await MigratedDatabase.Migrator(dataSource).MigrateAsync(CancellationToken.None);

        Assert.Equal(30L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE hash IS NOT NULL"));
        Assert.Equal(30L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_ids"));
        Assert.True(await database.ScalarAsync<long>("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_logs'::regclass") >= 4);
        Assert.True(await AllHoldAsync(dataSource));

        // A new owner takes partition 0 over at its head, hash included, and commits after it.
        var lease = await store.TakeOwnershipAsync(0, "test", CancellationToken.None);
        Assert.Equal(15, lease.LastSeq);
        Assert.Equal(await database.ScalarAsync<byte[]>("SELECT hash FROM audit_logs WHERE partition_id = 0 AND seq = 15"), lease.LastHash);
        var batch = new CommitBatch { CreatedAt = Rfc3339.TruncateToMicroseconds(DateTimeOffset.UtcNow) };
        batch.Add(
            new AuditEntry
            {
                Id = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Status = AuditStatus.Success, ActorType = ActorType.Service,
                ActorId = "new", TargetType = TargetType.Resource,
            },
            0, 16, lease.LastHash);
        batch.AddFence(0, lease.Epoch, 15, 16);
        await store.CommitAsync(batch, CancellationToken.None);

        Assert.True(await AllHoldAsync(dataSource));
    }

    private static async Task<bool> AllHoldAsync(NpgsqlDataSource dataSource)
    {
        var holds = true;
        var problems = await new ChainVerifier(dataSource, key: null).VerifyAsync(
            null, partition => Task.FromResult(holds &= partition.Holds), progress: null, CancellationToken.None);
        return holds && problems.Count == 0;
    }
}
