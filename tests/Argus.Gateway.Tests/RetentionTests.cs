using System.Net;
using System.Text.Json.Nodes;
using Argus.Gateway.Hosting;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Integrity;
using Argus.Grains.Retention;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// Maintenance of the log's months on a real node: months made ahead, and retention dropping each
/// month past it whole, in one transaction with a signed retention checkpoint whose runs are
/// exactly the entries removed (with the hash the next entry names), their ids and counts gone
/// with them, newer months kept; never a month that may hold an entry to keep, never without a
/// signing key. Entries are written through the API; maintenance runs at a time the test sets.
/// </summary>
public sealed class RetentionTests
{
    private const string CountsOfEntries =
        "SELECT date_trunc('hour', occurred_at, 'UTC'), event_type, event_action, status, actor_type, target_type, resource_type, count(*) FROM audit_logs GROUP BY 1, 2, 3, 4, 5, 6, 7";

    private const string HourlyCounts =
        "SELECT hour, event_type, event_action, status, actor_type, target_type, resource_type, sum(entries)::bigint FROM audit_counts_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7";

    private const string TotalOfEntries =
        "SELECT event_type, event_action, status, actor_type, target_type, resource_type, count(*) FROM audit_logs GROUP BY 1, 2, 3, 4, 5, 6";

    private const string TotalCounts =
        "SELECT event_type, event_action, status, actor_type, target_type, resource_type, sum(entries)::bigint FROM audit_counts_total GROUP BY 1, 2, 3, 4, 5, 6";

    [Fact]
    public async Task Retention_drops_each_expired_month_with_a_signed_checkpoint_of_exactly_its_entries_and_keeps_the_rest()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        var trace = Guid.NewGuid();

        // One trace, so one partition, its months interleaved: seqs 1, 2, 4 in January 2020, 5 in
        // June (both past retention), 3 in December, 6 in July and 7 now (kept).
        string[] times =
        [
            "2020-01-10T08:00:00Z", "2020-01-11T09:30:00Z", "2020-12-01T00:00:00Z", "2020-01-12T23:59:59.999999Z",
            "2020-06-30T23:59:59.999999Z", "2020-07-01T00:00:00Z", Rfc(DateTimeOffset.UtcNow),
        ];
        var traced = new List<string>();
        foreach (var (at, i) in times.Select((t, i) => (t, i)))
        {
            traced.Add(await CreateAsync(node, at, trace, i % 2 == 0 ? "SUCCESS" : "FAILURE", "RETENTION_" + (i % 3)));
        }

        // And January entries of other traces, in other partitions.
        var partitionCount = await database.ScalarAsync<int>("SELECT count(*)::int FROM argus_partitions");
        var others = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var other = Guid.NewGuid();
            while (PartitionHash.PartitionOf(other, partitionCount) == PartitionHash.PartitionOf(trace, partitionCount))
            {
                other = Guid.NewGuid();
            }

            others.Add(await CreateAsync(node, $"2020-01-{20 + i}T12:00:00Z", other, "SUCCESS", "RETENTION_OTHER"));
        }

        var january = await RunsOfAsync(database, "audit_logs_y2020m01");
        var june = await RunsOfAsync(database, "audit_logs_y2020m06");
        var partition = await database.ScalarAsync<int>("SELECT partition_id FROM audit_logs WHERE id = $1", Guid.Parse(traced[0]));
        Assert.Equal(new[] { (1L, 2L), (4L, 4L) }, january.Where(r => r.Partition == partition).Select(r => (r.First, r.Last)));
        Assert.Equal(new[] { (5L, 5L) }, june.Select(r => (r.First, r.Last)));
        Assert.Equal(9, january.Sum(r => r.Last - r.First + 1));

        var report = await Maintenance(node, new DateTimeOffset(2021, 1, 15, 12, 0, 0, TimeSpan.Zero), days: 180).RunAsync(wait: true, CancellationToken.None);

        Assert.Null(report.Problem);
        Assert.Equal(["audit_logs_y2020m01", "audit_logs_y2020m06"], report.Dropped.Select(d => d.Table));
        Assert.Equal([9L, 1L], report.Dropped.Select(d => d.Entries));
        Assert.Empty(report.Kept);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_class WHERE relname IN ('audit_logs_y2020m01', 'audit_logs_y2020m06')"));
        Assert.Equal(2L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_class WHERE relname IN ('audit_logs_y2020m07', 'audit_logs_y2020m12')"));

        // One signed retention checkpoint per month, naming exactly its runs, verifiable with the published key.
        var listing = await node.Client.ListCheckpointsAsync("kind=retention");
        var publicKey = (string)listing["publicKey"]!;
        var checkpoints = listing["checkpoints"]!.AsArray().Select(c => c!.AsObject()).Reverse().ToList();
        Assert.Equal(report.Dropped.Select(d => d.CheckpointId), checkpoints.Select(c => (long?)(long)c["id"]!));
        foreach (var (checkpoint, (table, runs)) in checkpoints.Zip(new[] { ("audit_logs_y2020m01", january), ("audit_logs_y2020m06", june) }))
        {
            Assert.True(CheckpointCalls.VerifiesWith(checkpoint, publicKey), $"{table}: the signature does not verify");
            var body = CheckpointCalls.Body(checkpoint);
            Assert.Equal("retention", (string?)body["kind"]);
            Assert.Equal(table, (string?)body["month"]);
            Assert.Equal("2021-01-15T12:00:00Z", (string?)body["createdAt"]);
            Assert.Equal(
                runs.Select(r => (r.Partition, r.First, r.Last, r.LastHash)),
                body["runs"]!.AsArray().Select(r => ((int)r!["partition"]!, (long)r["firstSeq"]!, (long)r["lastSeq"]!, (string)r["lastHash"]!)));
        }

        // The entry after each run names the run's last hash as its previous one: the chain is vouched for across the gaps.
        var chain = await ChainAsync(database, partition);
        Assert.Equal([3L, 6L, 7L], chain.Select(e => e.Seq));
        Assert.Equal(january.Single(r => r.Partition == partition && r.First == 1).LastHash, chain[0].PrevHash);
        Assert.Equal(june.Single().LastHash, chain[1].PrevHash);

        // Their ids, hours and counts are gone with them; every count still equals the entries.
        foreach (var id in traced.Where((_, i) => i is 0 or 1 or 3 or 4).Concat(others))
        {
            Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_ids WHERE id = $1", Guid.Parse(id)));
            using var gone = await node.Client.GetAsync($"{AuditApi.Path}/{id}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        await AssertCountsAreTheEntriesAsync(node, database, expected: 3);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_counts_hourly WHERE hour < '2020-02-01' OR (hour >= '2020-06-01' AND hour < '2020-07-01')"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_counts_total WHERE event_type = 'RETENTION_OTHER'"));

        // Entries written afterwards commit, one of them in a dropped month (made again), and continue the chain.
        var late = await CreateAsync(node, "2020-01-13T00:00:00Z", trace, "SUCCESS", "RETENTION_0");
        await CreateAsync(node, Rfc(DateTimeOffset.UtcNow), trace, "SUCCESS", "RETENTION_0");
        chain = await ChainAsync(database, partition);
        Assert.Equal([3L, 6L, 7L, 8L, 9L], chain.Select(e => e.Seq));
        Assert.Equal(chain[2].Hash, chain[3].PrevHash);
        Assert.Equal(late, (string?)(await (await node.Client.GetAsync($"{AuditApi.Path}/{late}")).ReadObjectAsync())["id"]);
        await AssertCountsAreTheEntriesAsync(node, database, expected: 5);

        // Verification accepts exactly these gaps, the one made of runs from two checkpoints too.
        await node.Client.MakeCheckpointAsync();
        await AssertVerifiesAsync(database);
    }

    [Fact]
    public async Task Retention_never_drops_a_month_that_may_hold_an_entry_to_keep_nor_the_current_one_and_makes_months_ahead()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        foreach (var at in new[] { "2020-01-15T00:00:00Z", "2020-02-29T23:59:59.999999Z", "2020-03-01T00:00:30Z" })
        {
            await CreateAsync(node, at, Guid.NewGuid(), "SUCCESS", "BOUNDARY");
        }

        // A minute into March, with a day's retention: February ended a minute ago, so it may still hold an entry to keep.
        var march = new DateTimeOffset(2020, 3, 1, 0, 1, 0, TimeSpan.Zero);
        var report = await Maintenance(node, march, days: 1).RunAsync(wait: true, CancellationToken.None);

        Assert.Equal(["audit_logs_y2020m01"], report.Dropped.Select(d => d.Table));
        Assert.Equal(["audit_logs_y2020m04", "audit_logs_y2020m05", "audit_logs_y2020m06"], report.Created);
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs_y2020m02"));

        // A day after February ended, it goes too; March, the current month, stays whatever the retention.
        report = await Maintenance(node, march.AddDays(1), days: 1).RunAsync(wait: true, CancellationToken.None);
        Assert.Equal(["audit_logs_y2020m02"], report.Dropped.Select(d => d.Table));
        Assert.Empty(report.Created);
        report = await Maintenance(node, new DateTimeOffset(2020, 3, 31, 23, 59, 59, TimeSpan.Zero), days: 1).RunAsync(wait: true, CancellationToken.None);
        Assert.Empty(report.Dropped);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs_y2020m03"));
        await AssertCountsAreTheEntriesAsync(node, database, expected: 1);
        await AssertVerifiesAsync(database);
    }

    [Fact]
    public async Task A_drop_held_off_by_a_long_read_changes_nothing_and_the_next_run_makes_it()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        var dropped = await CreateAsync(node, "2020-01-15T00:00:00Z", Guid.NewGuid(), "SUCCESS", "HELD_OFF");
        await CreateAsync(node, Rfc(DateTimeOffset.UtcNow), Guid.NewGuid(), "SUCCESS", "HELD_OFF");
        var now = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);

        // A read that lasts (a verification, an export) holds the log while the drop wants it.
        await using (var reader = new NpgsqlConnection(database.ConnectionString))
        {
            await reader.OpenAsync();
            await using var read = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM audit_logs", reader, read))
            {
                Assert.Equal(2L, (long)(await count.ExecuteScalarAsync())!);
            }

            var held = await Maintenance(node, now, days: 30).RunAsync(wait: true, CancellationToken.None);

            Assert.True(held.Interrupted);
            Assert.Empty(held.Dropped);
            Assert.Equal(["audit_logs_y2020m01"], held.Kept);
            Assert.Contains("lock", held.Problem, StringComparison.Ordinal);
        }

        // The whole transaction went back: the month, its id, its counts, no checkpoint.
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs_y2020m01"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_ids WHERE id = $1", Guid.Parse(dropped)));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM argus_checkpoints"));
        await AssertCountsAreTheEntriesAsync(node, database, expected: 2);

        var report = await Maintenance(node, now, days: 30).RunAsync(wait: true, CancellationToken.None);
        Assert.False(report.Interrupted);
        Assert.Equal(["audit_logs_y2020m01"], report.Dropped.Select(d => d.Table));
        await AssertCountsAreTheEntriesAsync(node, database, expected: 1);
    }

    [Fact]
    public async Task Without_a_signing_key_retention_drops_nothing_and_says_why()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?> { [TestSigningKey.Setting] = "" });
        await CreateAsync(node, "2020-01-15T00:00:00Z", Guid.NewGuid(), "SUCCESS", "UNSIGNED");

        var report = await Maintenance(node, DateTimeOffset.UtcNow, days: 30).RunAsync(wait: true, CancellationToken.None);

        Assert.Empty(report.Dropped);
        Assert.Equal(["audit_logs_y2020m01"], report.Kept);
        Assert.Contains("no signing key", report.Problem, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs_y2020m01"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM argus_checkpoints"));
    }

    [Fact]
    public async Task A_node_makes_the_months_ahead_when_it_starts()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var now = DateTimeOffset.UtcNow;
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?> { ["Argus:Retention:MonthsAhead"] = "5" });

        // The migration made three ahead; the silo's first maintenance run makes the rest, in the background.
        await Eventually.WaitUntilAsync(
            async () => await database.ScalarAsync<bool>("SELECT to_regclass(argus_month_partition($1::date)) IS NOT NULL", now.AddMonths(5).UtcDateTime),
            "the month five months ahead");
        for (var ahead = 0; ahead <= 5; ahead++)
        {
            Assert.True(await database.ScalarAsync<bool>("SELECT to_regclass(argus_month_partition($1::date)) IS NOT NULL", now.AddMonths(ahead).UtcDateTime), $"month +{ahead}");
        }

        Assert.False(await database.ScalarAsync<bool>("SELECT to_regclass(argus_month_partition($1::date)) IS NOT NULL", now.AddMonths(6).UtcDateTime));
    }

    [Theory]
    [InlineData("Argus:Retention:Days", "0", "Argus:Retention:Days must be between 1 and 36500 when set")]
    [InlineData("Argus:Retention:Days", "-30", "Argus:Retention:Days must be between 1 and 36500 when set")]
    [InlineData("Argus:Retention:MonthsAhead", "-1", "Argus:Retention:MonthsAhead must be between 0 and 120")]
    [InlineData("Argus:Retention:MaintenanceInterval", "00:00:10", "Argus:Retention:MaintenanceInterval must be at least 1 minute")]
    [InlineData("Argus:Integrity:CheckpointInterval", "00:00:00.500", "Argus:Integrity:CheckpointInterval must be at least 1 second")]
    public async Task Bad_settings_stop_the_node_at_start_naming_the_setting(string setting, string value, string message)
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(
            () => ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?> { [setting] = value }));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_that_holds_no_key_stops_the_node_at_start_naming_the_file()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var file = Path.Combine(Path.GetTempPath(), "argus-not-a-key-" + Guid.NewGuid().ToString("N") + ".pem");
        await File.WriteAllTextAsync(file, "not a key");
        try
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(
                () => ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?> { [TestSigningKey.Setting] = file }));

            Assert.Contains($"Argus:Integrity:SigningKeyFile {file} cannot be used", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_maintenance_command_prints_what_it_made_and_dropped_and_the_node_writes_to_a_dropped_month_again()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        var trace = Guid.NewGuid();
        await CreateAsync(node, "2020-01-15T00:00:00Z", trace, "SUCCESS", "COMMAND");
        string[] settings = ["--connection", database.ConnectionString, "--Argus:Retention:MonthsAhead", "7", "--Argus:Integrity:SigningKeyFile"];

        // Without a key: the months ahead made, nothing dropped, exit 1 saying why.
        var (status, output, error) = await RunCommandAsync([.. settings, "", "--Argus:Retention:Days", "1"]);
        Assert.True(status == 1, output + error);
        Assert.Contains($"made {MonthName(DateTimeOffset.UtcNow.AddMonths(7))}", output, StringComparison.Ordinal);
        Assert.Contains("kept audit_logs_y2020m01, past retention", output, StringComparison.Ordinal);
        Assert.Contains("no signing key is configured", error, StringComparison.Ordinal);

        (status, output, error) = await RunCommandAsync([.. settings, TestSigningKey.File, "--Argus:Retention:Days=1"]);

        Assert.True(status == 0, output + error);
        Assert.Contains("made no month", output, StringComparison.Ordinal);
        Assert.Contains("dropped audit_logs_y2020m01: 1 entries, vouched for by retention checkpoint ", output, StringComparison.Ordinal);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'audit_logs_y2020m01'"));

        // The node did not run the drop, so it still thinks the month exists: its writer finds out and makes it again.
        await CreateAsync(node, "2020-01-16T00:00:00Z", trace, "SUCCESS", "COMMAND");
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs_y2020m01"));

        (status, output, error) = await RunCommandAsync(["--connection", database.ConnectionString, "--Argus:Retention:Dayz", "1"]);
        Assert.Equal(2, status);
        Assert.Equal("", output);
        Assert.Contains("unknown option '--Argus:Retention:Dayz'", error + output, StringComparison.Ordinal);
    }

    /// <summary><c>verify</c> finds every chain whole: each gap retention left is vouched for by its signed checkpoints.</summary>
    private static async Task AssertVerifiesAsync(TestDatabase database)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var status = await VerifyCommand.RunAsync(["--connection", database.ConnectionString, "--key", TestSigningKey.File], output, error, showProgress: false);
        Assert.True(status == 0, $"verify exited {status}: {output}{error}");
        Assert.Contains("every chain holds", output.ToString(), StringComparison.Ordinal);
    }

    private static PartitionMaintenance Maintenance(ArgusTestNode node, DateTimeOffset now, int days) => new(
        node.Service<NpgsqlDataSource>(),
        node.Service<CheckpointStore>(),
        node.Service<CheckpointKey>(),
        Microsoft.Extensions.Options.Options.Create(new RetentionOptions { Days = days }),
        new FakeTimeProvider(now),
        NullLogger<PartitionMaintenance>.Instance,
        node.Service<AuditStore>());

    private static async Task<(int Status, string Output, string Error)> RunCommandAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var status = await MaintenanceCommand.RunAsync(args, output, error);
        return (status, output.ToString(), error.ToString());
    }

    private static async Task<string> CreateAsync(ArgusTestNode node, string timestamp, Guid trace, string status, string eventType)
    {
        var entry = AuditJson.Minimal(timestamp: timestamp);
        entry["traceId"] = trace.ToString();
        entry["status"] = status;
        entry["eventType"] = eventType;
        return (string)(await node.Client.CreateAsync(entry))["id"]!;
    }

    /// <summary>The table's entries as runs of consecutive sequence numbers per partition with their last hash (hex), computed here from the rows.</summary>
    private static async Task<List<(int Partition, long First, long Last, string LastHash)>> RunsOfAsync(TestDatabase database, string table)
    {
        var runs = new List<(int Partition, long First, long Last, string LastHash)>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT partition_id, seq, hash FROM {table} ORDER BY partition_id, seq", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var (partition, seq, hash) = (reader.GetInt32(0), reader.GetInt64(1), Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(2)));
            if (runs.Count > 0 && runs[^1].Partition == partition && runs[^1].Last + 1 == seq)
            {
                runs[^1] = runs[^1] with { Last = seq, LastHash = hash };
            }
            else
            {
                runs.Add((partition, seq, seq, hash));
            }
        }

        return runs;
    }

    private static async Task<List<(long Seq, string PrevHash, string Hash)>> ChainAsync(TestDatabase database, int partition)
    {
        var chain = new List<(long, string, string)>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT seq, prev_hash, hash FROM audit_logs WHERE partition_id = $1 ORDER BY seq", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            chain.Add((reader.GetInt64(0), Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(1)), Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(2))));
        }

        return chain;
    }

    /// <summary>Every way Argus counts without reading the entries agrees with counting them: hourly and all-time counts, the unfiltered total (fences less removed), ids, statistics.</summary>
    private static async Task AssertCountsAreTheEntriesAsync(ArgusTestNode node, TestDatabase database, long expected)
    {
        Assert.Equal(expected, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs"));
        Assert.Equal(expected, await database.ScalarAsync<long>("SELECT count(*) FROM audit_ids"));
        foreach (var (left, right) in new[] { (HourlyCounts, CountsOfEntries), (CountsOfEntries, HourlyCounts), (TotalCounts, TotalOfEntries), (TotalOfEntries, TotalCounts) })
        {
            Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM ({left} EXCEPT ALL {right}) d"));
        }

        Assert.Equal(expected, (long)(await node.Client.GetPageAsync("limit=1"))["total"]!);
        Assert.Equal(expected, (long)(await (await node.Client.GetAsync(AuditApi.Path + "/stats")).ReadObjectAsync())["total"]!);
    }

    private static string MonthName(DateTimeOffset at) => $"audit_logs_y{at.Year:0000}m{at.Month:00}";

    private static string Rfc(DateTimeOffset at) => Grains.Abstractions.Rfc3339.Format(at);
}
