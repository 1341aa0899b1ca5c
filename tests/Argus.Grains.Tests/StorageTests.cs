using Argus.Grains.Abstractions.Security;
using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Grains.Tests;

/// <summary>
/// What the database itself guarantees, whatever a silo does: the audit log is append-only, the
/// schema is applied once, and a writer whose partition epoch or position is stale stores nothing.
/// </summary>
/// <remarks>Each test works on its own partition and reads that partition's fence before it writes.</remarks>
public sealed class StorageTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private const string AppendOnlyState = "42501";

    [Fact]
    public async Task Update_of_an_audit_row_is_refused_by_the_database()
    {
        var entry = await StoreOneAsync(partition: 0);

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            db.Database.ExecuteAsync("UPDATE audit_logs SET status = 'FAILURE', actor_id = 'tampered' WHERE id = $1", entry.Id));

        Assert.Equal(AppendOnlyState, error.SqlState);
        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(1L, await db.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE id = $1 AND status = 'SUCCESS' AND actor_id = $2", entry.Id, entry.ActorId));
    }

    [Fact]
    public async Task Delete_of_an_audit_row_is_refused_by_the_database()
    {
        var entry = await StoreOneAsync(partition: 1);

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync("DELETE FROM audit_logs WHERE id = $1", entry.Id));
        var all = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync("DELETE FROM audit_logs"));

        Assert.Equal(AppendOnlyState, error.SqlState);
        Assert.Equal(AppendOnlyState, all.SqlState);
        Assert.Equal(1L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", entry.Id));
    }

    [Fact]
    public async Task Truncate_of_audit_logs_is_refused_by_the_database()
    {
        var entry = await StoreOneAsync(partition: 2);
        var before = await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs");

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync("TRUNCATE audit_logs"));

        Assert.Equal(AppendOnlyState, error.SqlState);
        Assert.Contains("TRUNCATE", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(before, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs"));
        Assert.Equal(1L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", entry.Id));
    }

    [Fact]
    public async Task Migrations_applied_again_are_a_no_op()
    {
        var entry = await StoreOneAsync(partition: 3);
        var appliedAt = await db.Database.ScalarAsync<DateTime>("SELECT max(applied_at) FROM argus_schema_migrations");

        await MigratedDatabase.Migrator(db.DataSource).MigrateAsync(CancellationToken.None);
        await MigratedDatabase.Migrator(db.DataSource).MigrateAsync(CancellationToken.None);

        await AssertOneRowPerMigrationAsync(db.Database);
        Assert.Equal(appliedAt, await db.Database.ScalarAsync<DateTime>("SELECT max(applied_at) FROM argus_schema_migrations"));
        Assert.Equal(1L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", entry.Id));
    }

    [Fact]
    public async Task A_new_month_is_made_while_a_long_read_holds_the_log()
    {
        // A verification or a report reading the log for minutes must not hold up the month an
        // entry needs (nor, behind that, every insert).
        await using var reader = new NpgsqlConnection(db.Database.ConnectionString);
        await reader.OpenAsync();
        await using var reading = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM audit_logs", reader, reading))
        {
            await read.ExecuteScalarAsync();
        }

        await using var maker = new NpgsqlConnection(db.Database.ConnectionString);
        await maker.OpenAsync();
        await using (var timeout = new NpgsqlCommand("SET lock_timeout = '5s'", maker))
        {
            await timeout.ExecuteNonQueryAsync();
        }

        await using var make = new NpgsqlCommand("SELECT argus_ensure_months('1987-03-04', '1987-03-04')", maker);
        Assert.Equal(1, await make.ExecuteScalarAsync());
        Assert.Equal(1L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'audit_logs_y1987m03'"));
    }

    [Fact]
    public async Task Migrations_started_together_apply_each_script_once()
    {
        await using var fresh = await TestPostgres.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(fresh.ConnectionString);

        // Silos starting at the same moment: the advisory lock must serialise them.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => MigratedDatabase.Migrator(dataSource).MigrateAsync(CancellationToken.None))));

        await AssertOneRowPerMigrationAsync(fresh);
        Assert.Equal(1L, await fresh.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_logs_append_only' AND tgrelid = 'audit_logs'::regclass"));
    }

    [Fact]
    public async Task Fence_with_a_stale_epoch_raises_ARF01_and_moves_nothing()
    {
        const int Partition = 4;
        var (epoch, lastSeq) = await FenceAsync(Partition);

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync(
            "SELECT argus_fence($1, $2, $3, $4, $5)", new[] { Partition }, new[] { epoch - 1 }, new[] { lastSeq }, new[] { lastSeq + 1 }, new[] { new byte[32] }));

        Assert.Equal(AuditStore.FenceFailedState, error.SqlState);
        Assert.Equal((epoch, lastSeq), await FenceAsync(Partition));
    }

    [Fact]
    public async Task Fence_with_a_stale_position_raises_ARF01_and_moves_nothing()
    {
        const int Partition = 4;
        await StoreOneAsync(Partition);
        var (epoch, lastSeq) = await FenceAsync(Partition);

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync(
            "SELECT argus_fence($1, $2, $3, $4, $5)", new[] { Partition }, new[] { epoch }, new[] { lastSeq - 1 }, new[] { lastSeq }, new[] { new byte[32] }));

        Assert.Equal(AuditStore.FenceFailedState, error.SqlState);
        Assert.Equal((epoch, lastSeq), await FenceAsync(Partition));
    }

    [Fact]
    public async Task Fence_over_several_partitions_holds_for_all_or_moves_none()
    {
        var (e5, s5) = await FenceAsync(5);
        var (e6, s6) = await FenceAsync(6);

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync(
            "SELECT argus_fence($1, $2, $3, $4, $5)", new[] { 5, 6 }, new[] { e5, e6 + 1 }, new[] { s5, s6 }, new[] { s5 + 1, s6 + 1 }, new[] { new byte[32], new byte[32] }));

        Assert.Equal(AuditStore.FenceFailedState, error.SqlState);
        Assert.Equal((e5, s5), await FenceAsync(5));
        Assert.Equal((e6, s6), await FenceAsync(6));
    }

    [Fact]
    public async Task Commit_with_a_stale_epoch_stores_nothing()
    {
        const int Partition = 5;
        var (epoch, lastSeq) = await FenceAsync(Partition);
        var batch = Batch(Partition, epoch - 1, lastSeq, NewEntry(), NewEntry());

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Store.CommitAsync(batch, CancellationToken.None));

        Assert.Equal(AuditStore.FenceFailedState, error.SqlState);
        await AssertNotStoredAsync(batch);
        Assert.Equal((epoch, lastSeq), await FenceAsync(Partition));
    }

    [Fact]
    public async Task Zombie_owner_is_fenced_out_once_a_new_owner_bumps_the_epoch()
    {
        const int Partition = 6;
        var (oldEpoch, lastSeq) = await FenceAsync(Partition);

        // A new owner takes the partition, as PartitionOwnership does.
        Assert.Equal(1, await db.Database.ExecuteAsync("UPDATE argus_partitions SET epoch = epoch + 1 WHERE partition_id = $1", Partition));
        var (newEpoch, _) = await FenceAsync(Partition);
        Assert.Equal(oldEpoch + 1, newEpoch);

        // The old owner still believes it owns the partition and flushes at the next position.
        var zombie = Batch(Partition, oldEpoch, lastSeq, NewEntry());
        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Store.CommitAsync(zombie, CancellationToken.None));
        Assert.Equal(AuditStore.FenceFailedState, error.SqlState);
        await AssertNotStoredAsync(zombie);

        // The new owner writes that same position.
        var owner = Batch(Partition, newEpoch, lastSeq, NewEntry());
        await db.Store.CommitAsync(owner, CancellationToken.None);
        Assert.Equal(1L, await db.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE id = $1 AND partition_id = $2 AND seq = $3", owner.Ids[0], Partition, lastSeq + 1));
        Assert.Equal((newEpoch, lastSeq + 1), await FenceAsync(Partition));

        // And the zombie's retry at the new position fails too: the epoch is what fences it.
        var retry = Batch(Partition, oldEpoch, lastSeq + 1, NewEntry());
        error = await Assert.ThrowsAsync<PostgresException>(() => db.Store.CommitAsync(retry, CancellationToken.None));
        Assert.Equal(AuditStore.FenceFailedState, error.SqlState);
        await AssertNotStoredAsync(retry);
    }

    [Fact]
    public async Task Commit_with_an_id_already_stored_stores_nothing_of_the_batch()
    {
        const int Partition = 3;
        var stored = await StoreOneAsync(Partition);
        var (epoch, lastSeq) = await FenceAsync(Partition);
        var fresh = NewEntry();
        var batch = Batch(Partition, epoch, lastSeq, fresh, stored with { ActorId = "other" });

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Store.CommitAsync(batch, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal(AuditStore.PrimaryKeyConstraint, error.ConstraintName);
        Assert.Equal(0L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", fresh.Id));
        Assert.Equal(stored.ActorId, await db.Database.ScalarAsync<string>("SELECT actor_id FROM audit_logs WHERE id = $1", stored.Id));
        Assert.Equal((epoch, lastSeq), await FenceAsync(Partition));
    }

    [Fact]
    public async Task Committed_entry_reads_back_unchanged()
    {
        const int Partition = 2;
        var (epoch, lastSeq) = await FenceAsync(Partition);
        var entry = NewEntry() with
        {
            TraceId = Guid.NewGuid(),
            Timestamp = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560),
            EventType = "MANAGEMENT_EVENT",
            EventAction = EventAction.Update,
            Status = AuditStatus.Failure,
            ActorType = ActorType.Member,
            TargetType = TargetType.Service,
            TargetId = "target",
            RequestMetadata = """{"a": [1, 2.50, null], "b": "é"}""",
            ResponseMetadata = "{}",
            AdditionalMetadata = """{"big": 12345678901234567890}""",
            Source = "urn:billing-api",
            TenantId = "tenant-7",
            RequestId = "req-1",
            IpAddress = "2001:db8::1:0:0:1",
            UserAgent = "curl/8.5.0",
            HttpMethod = "DELETE",
            HttpPath = "/v1/users/42?hard=true",
            HttpStatus = 503,
            LatencyMs = 0.1 + 0.2,
            ResourceType = "Approval",
            PartnerId = "partner-3",
            ActorEmail = "carlos.silva@empresa.com",
            Role = "operator",
            Namespace = "production",
            EventGroup = "approval",
            SessionId = "sess-1",
            CorrelationId = "corr-1",
            UserId = long.MaxValue,
            VmId = "vm-42",
            TaskId = long.MinValue,
            NodeIp = "2001:db8::2:0:0:1",
            WorkerId = "worker-3",
            ErrorMessage = "quota exceeded\n\"memory\" é",
        };
        var batch = Batch(Partition, epoch, lastSeq, entry);

        await db.Store.CommitAsync(batch, CancellationToken.None);

        var read = Assert.Single(await db.Store.FindAsync([entry.Id], AccessScope.Unrestricted, CancellationToken.None)).Value;
        Assert.Equal(batch.CreatedAt, read.CreatedAt);
        Assert.True(entry.SameEventAs(read), $"stored {read} differs from {entry}");
        Assert.Equal(entry with { CreatedAt = batch.CreatedAt, RequestMetadata = null, ResponseMetadata = null, AdditionalMetadata = null },
            read with { RequestMetadata = null, ResponseMetadata = null, AdditionalMetadata = null });
    }

    [Theory]
    [InlineData("status", "'success'")]
    [InlineData("actor_type", "'USER'")]
    [InlineData("target_type", "'DATABASE'")]
    [InlineData("event_action", "'PATCH'")]
    [InlineData("request_metadata", "'[1]'::jsonb")]
    [InlineData("response_metadata", "'\"text\"'::jsonb")]
    [InlineData("additional_metadata", "'42'::jsonb")]
    [InlineData("ip_address", "'10.0.0.0/8'")]
    [InlineData("ip_address", "'2001:db8::/32'")]
    [InlineData("http_method", "'get'")]
    [InlineData("http_method", "'GE T'")]
    [InlineData("http_method", "''")]
    [InlineData("http_path", "'users/42'")]
    [InlineData("http_status", "99")]
    [InlineData("http_status", "600")]
    [InlineData("latency_ms", "-0.5")]
    [InlineData("latency_ms", "'NaN'")]
    [InlineData("latency_ms", "'Infinity'")]
    [InlineData("resource_type", "''")]
    [InlineData("resource_type", "repeat('r', 129)")]
    [InlineData("partner_id", "repeat('p', 129)")]
    [InlineData("actor_email", "repeat('a', 255)")]
    [InlineData("namespace", "repeat('n', 254)")]
    [InlineData("session_id", "repeat('s', 257)")]
    [InlineData("error_message", "repeat('e', 4097)")]
    [InlineData("error_message", "''")]
    [InlineData("node_ip", "'10.0.0.0/8'")]
    [InlineData("node_ip", "'2001:db8::/32'")]
    public async Task Database_refuses_values_the_api_would_not_produce(string column, string value)
    {
        var id = Guid.NewGuid();
        var columns = new Dictionary<string, string>
        {
            ["id"] = "$1", ["occurred_at"] = "now()", ["status"] = "'SUCCESS'", ["actor_type"] = "'SERVICE'", ["actor_id"] = "'check'",
            ["target_type"] = "'SERVICE'", ["created_at"] = "now()", ["partition_id"] = "0",
            ["seq"] = (-Random.Shared.NextInt64(1, long.MaxValue)).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        columns[column] = value;

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteAsync(
            $"INSERT INTO audit_logs ({string.Join(", ", columns.Keys)}) VALUES ({string.Join(", ", columns.Values)})", id));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal(0L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", id));
    }

    private static AuditEntry NewEntry() => new()
    {
        Id = Guid.CreateVersion7(),
        Timestamp = Rfc3339.TruncateToMicroseconds(DateTimeOffset.UtcNow),
        Status = AuditStatus.Success,
        ActorType = ActorType.Service,
        ActorId = "storage-" + Guid.NewGuid().ToString("N"),
        TargetType = TargetType.Resource,
    };

    /// <summary>A commit of <paramref name="entries"/> at the positions after <paramref name="lastSeq"/>, fenced at <paramref name="epoch"/>.</summary>
    private static CommitBatch Batch(int partition, long epoch, long lastSeq, params AuditEntry[] entries)
    {
        var batch = new CommitBatch { CreatedAt = Rfc3339.TruncateToMicroseconds(DateTimeOffset.UtcNow) };
        var seq = lastSeq;
        foreach (var entry in entries)
        {
            batch.Add(entry, partition, ++seq);
        }

        batch.AddFence(partition, epoch, lastSeq, seq);
        return batch;
    }

    /// <summary>Commits one new entry to <paramref name="partition"/> under its current fence.</summary>
    private async Task<AuditEntry> StoreOneAsync(int partition)
    {
        var (epoch, lastSeq) = await FenceAsync(partition);
        var entry = NewEntry();
        await db.Store.CommitAsync(Batch(partition, epoch, lastSeq, entry), CancellationToken.None);
        Assert.Equal((epoch, lastSeq + 1), await FenceAsync(partition));
        return entry;
    }

    private async Task<(long Epoch, long LastSeq)> FenceAsync(int partition)
    {
        var (epoch, lastSeq, _) = (await db.Store.ReadFencesAsync([partition], CancellationToken.None))[partition];
        return (epoch, lastSeq);
    }

    private async Task AssertNotStoredAsync(CommitBatch batch) =>
        Assert.Equal(0L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", batch.Ids.ToArray()));

    [Fact]
    public async Task Silos_starting_together_all_get_the_one_cursor_key_of_the_cluster()
    {
        await using var fresh = await TestPostgres.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(fresh.ConnectionString);
        await MigratedDatabase.Migrator(dataSource).MigrateAsync(CancellationToken.None);
        var store = new AuditStore(dataSource);
        await store.EnsureClusterAsync(MigratedDatabase.PartitionCount, CancellationToken.None);

        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.EnsureCursorKeyAsync(CancellationToken.None))));
        var later = await store.EnsureCursorKeyAsync(CancellationToken.None);

        Assert.Equal(PageCursors.KeyLength, later.Length);
        Assert.All(keys, key => Assert.Equal(later, key));
        Assert.NotEqual(new byte[PageCursors.KeyLength], later);
    }

    private static async Task AssertOneRowPerMigrationAsync(TestDatabase database)
    {
        var expected = SchemaMigrator.Migrations.Select(m => $"{m.Version}:{m.Name}").ToList();
        Assert.NotEmpty(expected);
        Assert.Equal((long)expected.Count, await database.ScalarAsync<long>("SELECT count(*) FROM argus_schema_migrations"));
        var applied = await database.ScalarAsync<string[]>("SELECT array_agg(version || ':' || name ORDER BY version) FROM argus_schema_migrations");
        Assert.Equal(expected, applied);
    }
}
