using System.Net;
using System.Text.Json.Nodes;
using Argus.Gateway.Hosting;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// The logical backup of docs/operations.md ("Backup and restore"), run as an operator runs it:
/// <c>pg_dump -Fc</c> of a node's database while it ingests, <c>pg_restore</c> into an empty
/// database, checks before a node starts on it, then a node on the restored database beside the
/// first one (a restore drill), which serves the restored log and continues its chains.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class BackupRestoreTests
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_dump_taken_under_ingest_restores_every_entry_acknowledged_before_it_and_a_node_on_it_continues_the_chains()
    {
        Assert.All(DumpArguments.Concat(RestoreArguments), argument => Assert.Contains(argument, OperationsDoc.Page, StringComparison.Ordinal));
        await using var source = await TestPostgres.CreateDatabaseAsync();
        await using var restored = await TestPostgres.CreateDatabaseAsync();
        var dump = Path.Combine(Path.GetTempPath(), $"argus-backup-{Guid.NewGuid():N}.dump");
        try
        {
            await using var node = await ArgusTestNode.StartAsync(source.ConnectionString);
            var trace = Guid.NewGuid();
            var traced = await node.Client.CreateAllAsync(Enumerable.Range(0, 5).Select(i => InTrace(trace, $"traced-{i}")).ToList(), parallelism: 1);
            await using var load = IngestLoad.Start(node.CreateClient(), writers: 8, "backup");
            await load.WaitForMoreAsync(300, Phase, "before the first checkpoint");
            var vouched = await node.Client.MakeCheckpointAsync();
            await load.WaitForMoreAsync(100, Phase, "after the first checkpoint");

            // pg_dump takes its snapshot first and then locks each table it dumps: a table held here
            // keeps it waiting with its snapshot taken while the node goes on committing, so entries
            // are certainly committed during the dump, and some after its snapshot.
            await using var locks = NpgsqlDataSource.Create(source.ConnectionString);
            await using var held = await HeldLock.TakeAsync(locks, "LOCK TABLE argus_schema_migrations IN ACCESS EXCLUSIVE MODE");
            var acknowledgedBefore = load.Acknowledged.Concat(Ids(traced)).ToArray();
            await using var pgDump = await PostgresTool.StartAsync("pg_dump", source.ConnectionString, [.. DumpArguments, "--file", dump]);
            await WaitForAsync(held.WaitForWaitersAsync(1, "pg_dump"), pgDump);
            var afterSnapshot = Ids(await node.Client.CreateAllAsync(Enumerable.Range(0, 16).Select(i => InTrace(Guid.NewGuid(), $"after-snapshot-{i}")).ToList()));
            await load.WaitForMoreAsync(200, Phase, "while pg_dump holds its snapshot");
            var offSite = await node.Client.MakeCheckpointAsync();
            await held.RollbackAsync();
            await pgDump.WaitForSuccessAsync(Phase, "pg_dump under ingest");
            await load.StopAsync();
            await load.AssertStoredExactlyOnceAsync(source);

            await PostgresTool.RunAsync("pg_restore into an empty database", "pg_restore", restored.ConnectionString, [.. RestoreArguments, dump]);

            // Before any node starts: the restored log is a prefix of every chain as it was committed,
            // with every entry acknowledged before the dump began, exactly once.
            Assert.Equal((long)acknowledgedBefore.Length, await restored.ScalarAsync<long>("SELECT count(DISTINCT id) FROM audit_logs WHERE id = ANY($1)", acknowledgedBefore));
            Assert.Equal((long)acknowledgedBefore.Length, await restored.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", acknowledgedBefore));
            Assert.Equal(0L, await restored.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", afterSnapshot));
            await AssertPrefixOfAsync(restored, source);
            Assert.Equal(0L, await restored.ScalarAsync<long>("SELECT (SELECT count(*) FROM argus_membership) + (SELECT count(*) FROM argus_membership_versions)"));
            var (exit, lines) = await VerifyAsync(restored);
            Assert.True(exit == 0, string.Join('\n', lines));
            Assert.StartsWith($"checkpoint: the chains agree with checkpoint {(long)vouched["id"]!} of ", lines[1], StringComparison.Ordinal);

            // The off-site copy of a checkpoint made after the dump's snapshot: a restore to an earlier
            // point shows as entries lost at the end of some chains, never as a position rewritten.
            var verdicts = await CompareWithCheckpointAsync(restored, (string)offSite["body"]!);
            Assert.Contains("lost", verdicts.Values);
            Assert.All(verdicts.Values, verdict => Assert.Contains(verdict, new[] { "same", "lost" }));

            var epochs = await EpochsAsync(restored);
            await using var restoredNode = await ArgusTestNode.StartAsync(restored.ConnectionString);

            // The node on the restored database formed a cluster of its own beside the first one,
            // and took every partition over with a newer epoch than the restored one.
            Assert.Equal([restoredNode.Name], await restored.ScalarAsync<string[]>("SELECT array_agg(DISTINCT silo_name) FROM argus_membership"));
            Assert.Equal([node.Name], await source.ScalarAsync<string[]>("SELECT array_agg(DISTINCT silo_name) FROM argus_membership"));
            Assert.All(await EpochsAsync(restored), e => Assert.True(e.Value > epochs[e.Key], $"partition {e.Key}: epoch {e.Value}, restored at {epochs[e.Key]}"));

            // It serves the restored log: pages, totals, a trace, an entry by id; and the keys of the backup.
            using var client = restoredNode.CreateClient();
            var page = await client.GetPageAsync($"traceId={trace}&limit=100");
            Assert.Equal(Ids(traced).Order(), page.Ids().Select(Guid.Parse).Order());
            Assert.Equal(await restored.ScalarAsync<long>("SELECT count(*) FROM audit_logs"), (long)(await client.GetPageAsync("limit=1"))["total"]!);
            using var timeline = await client.GetAsync($"/api/traces/{trace}");
            Assert.Equal(HttpStatusCode.OK, timeline.StatusCode);
            Assert.Equal(5, (await timeline.ReadObjectAsync())["entries"]!.AsArray().Count);
            using var byId = await client.GetAsync($"{AuditApi.Path}/{acknowledgedBefore[0]}");
            Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
            using var withBackedUpKey = restoredNode.CreateAnonymousClient();
            withBackedUpKey.DefaultRequestHeaders.Add("X-API-Key", node.ApiKey);
            Assert.Equal(HttpStatusCode.OK, (await withBackedUpKey.GetAsync($"{AuditApi.Path}?limit=1")).StatusCode);

            // New entries continue the restored chains, and a checkpoint made now vouches for them.
            var appended = Ids(await client.CreateAllAsync(Enumerable.Range(0, 64).Select(i => InTrace(Guid.NewGuid(), $"after-restore-{i}")).ToList()));
            Assert.Equal((long)appended.Length, await restored.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", appended));
            var afterRestore = await client.MakeCheckpointAsync();
            (exit, lines) = await VerifyAsync(restored);
            Assert.True(exit == 0, string.Join('\n', lines));
            Assert.StartsWith($"checkpoint: the chains agree with checkpoint {(long)afterRestore["id"]!} of ", lines[1], StringComparison.Ordinal);
            await DurabilityTests.AssertChainsHaveNoGapsAsync(restored);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    /// <summary>
    /// A backup that kept the membership rows (a physical backup cannot leave them out) restored
    /// beside the cluster it was taken from: once they are deleted, as the checks after a restore
    /// say, or when the restored processes run under another cluster id (a restore drill), the
    /// restored node forms a cluster of its own and nothing of either cluster reaches the other.
    /// </summary>
    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "argus-drill")]
    public async Task A_restore_with_the_old_membership_rows_forms_a_cluster_of_its_own_once_they_are_deleted_or_under_another_cluster_id(
        bool deleteMembership, string? clusterId)
    {
        await using var source = await TestPostgres.CreateDatabaseAsync();
        await using var restored = await TestPostgres.CreateDatabaseAsync();
        var dump = Path.Combine(Path.GetTempPath(), $"argus-backup-{Guid.NewGuid():N}.dump");
        try
        {
            await using var node = await ArgusTestNode.StartAsync(source.ConnectionString);
            var before = Ids(await node.Client.CreateAllAsync(Enumerable.Range(0, 40).Select(i => InTrace(Guid.NewGuid(), $"before-{i}")).ToList()));
            await PostgresTool.RunAsync("pg_dump with the membership", "pg_dump", source.ConnectionString, "--format=custom", "--file", dump);
            await PostgresTool.RunAsync("pg_restore", "pg_restore", restored.ConnectionString, [.. RestoreArguments, dump]);
            Assert.Equal([node.Name], await restored.ScalarAsync<string[]>("SELECT array_agg(silo_name) FROM argus_membership"));
            if (deleteMembership)
            {
                Assert.Contains($"`{EmptyMembership}`", OperationsDoc.Page, StringComparison.Ordinal);
                await restored.ExecuteAsync(EmptyMembership);
                Assert.Equal(0L, await restored.ScalarAsync<long>("SELECT count(*) FROM argus_membership"));
            }

            await using var restoredNode = await ArgusTestNode.StartAsync(
                restored.ConnectionString, clusterId is null ? null : new Dictionary<string, string?> { ["Argus:Cluster:ClusterId"] = clusterId });
            using var client = restoredNode.CreateClient();
            var after = Ids(await client.CreateAllAsync(Enumerable.Range(0, 40).Select(i => InTrace(Guid.NewGuid(), $"after-{i}")).ToList()));

            Assert.Equal([restoredNode.Name], await restored.ScalarAsync<string[]>(
                "SELECT array_agg(silo_name) FROM argus_membership WHERE cluster_id = $1 AND status = 3", clusterId ?? "argus"));
            Assert.Equal([node.Name], await source.ScalarAsync<string[]>("SELECT array_agg(silo_name) FROM argus_membership"));
            Assert.Equal(80L, await restored.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", before.Concat(after).ToArray()));
            Assert.Equal(0L, await source.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", after));
            Assert.Equal(8, node.OwnedPartitions.Count);
            await DurabilityTests.AssertChainsHaveNoGapsAsync(restored);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    /// <summary>The statement docs/operations.md gives for a restore that kept the membership rows.</summary>
    private const string EmptyMembership = "DELETE FROM argus_membership_versions;";

    /// <summary>pg_dump's options as docs/operations.md gives them: custom format, membership rows left out.</summary>
    private static readonly string[] DumpArguments = ["--format=custom", "--exclude-table-data=argus_membership", "--exclude-table-data=argus_membership_versions"];

    private static readonly string[] RestoreArguments = ["--exit-on-error", "--no-owner"];

    /// <summary>
    /// Each partition of <paramref name="restored"/> holds exactly the first entries of the same
    /// partition of <paramref name="source"/> (same ids at the same positions with the same hashes),
    /// up to its recorded head, whose hash is the source's at that position.
    /// </summary>
    private static async Task AssertPrefixOfAsync(TestDatabase restored, TestDatabase source)
    {
        var kept = await ChainAsync(restored);
        var heads = await HeadsAsync(restored);
        var original = (await ChainAsync(source)).Where(e => e.Key.Seq <= heads[e.Key.Partition].Seq).ToDictionary();
        Assert.Equal(original.Count, kept.Count);
        Assert.All(kept, e => Assert.True(
            original.TryGetValue(e.Key, out var committed) && committed.Id == e.Value.Id && committed.Hash.AsSpan().SequenceEqual(e.Value.Hash),
            $"partition {e.Key.Partition} seq {e.Key.Seq}: entry {e.Value.Id} is not the one committed there"));
        Assert.All(heads.Where(h => h.Value.Seq > 0), h => Assert.True(
            original[(h.Key, h.Value.Seq)].Hash.AsSpan().SequenceEqual(h.Value.Hash!), $"partition {h.Key}: the restored head hash is not the committed one"));
        Assert.True(kept.Count < (await ChainAsync(source)).Count, "the dump holds every entry: nothing was committed after its snapshot");
    }

    private static async Task<Dictionary<(int Partition, long Seq), (Guid Id, byte[] Hash)>> ChainAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT partition_id, seq, id, hash FROM audit_logs", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var chain = new Dictionary<(int, long), (Guid, byte[])>();
        while (await reader.ReadAsync())
        {
            chain.Add((reader.GetInt32(0), reader.GetInt64(1)), (reader.GetGuid(2), reader.GetFieldValue<byte[]>(3)));
        }

        return chain;
    }

    private static async Task<Dictionary<int, (long Seq, byte[]? Hash)>> HeadsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT partition_id, last_seq, head_hash FROM argus_partitions", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var heads = new Dictionary<int, (long, byte[]?)>();
        while (await reader.ReadAsync())
        {
            heads.Add(reader.GetInt32(0), (reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2)));
        }

        return heads;
    }

    private static async Task<Dictionary<int, long>> EpochsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT partition_id, epoch FROM argus_partitions", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var epochs = new Dictionary<int, long>();
        while (await reader.ReadAsync())
        {
            epochs.Add(reader.GetInt32(0), reader.GetInt64(1));
        }

        return epochs;
    }

    /// <summary>
    /// Runs the comparison of docs/operations.md (the psql script there, with its <c>:'body'</c> as a
    /// parameter) against <paramref name="database"/>: partition -> verdict.
    /// </summary>
    private static async Task<Dictionary<int, string>> CompareWithCheckpointAsync(TestDatabase database, string body)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(OperationsDoc.CheckpointComparison.Replace(":'body'", "$1", StringComparison.Ordinal), connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        await using var reader = await command.ExecuteReaderAsync();
        var verdicts = new Dictionary<int, string>();
        while (await reader.ReadAsync())
        {
            verdicts.Add(reader.GetInt32(0), reader.GetString(reader.GetOrdinal("verdict")));
        }

        return verdicts;
    }

    private static async Task<(int Exit, List<string> Lines)> VerifyAsync(TestDatabase database)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await VerifyCommand.RunAsync(["--connection", database.ConnectionString, "--key", TestSigningKey.File], output, error, showProgress: false);
        Assert.Equal("", error.ToString());
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList());
    }

    /// <summary>Waits for <paramref name="condition"/>, failing with the tool's errors if it ended meanwhile.</summary>
    private static async Task WaitForAsync(Task condition, PostgresTool tool)
    {
        try
        {
            await condition;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; {tool.Name} {(tool.HasExited ? "ended" : "still runs")}: {tool.Error}", e);
        }
    }

    private static Guid[] Ids(IEnumerable<JsonObject> acknowledged) => acknowledged.Select(a => Guid.Parse((string)a["id"]!)).ToArray();

    private static JsonObject InTrace(Guid trace, string actor)
    {
        var entry = AuditJson.Minimal(actor);
        entry["traceId"] = trace.ToString();
        entry["eventType"] = "BACKUP_TEST";
        entry["requestMetadata"] = new JsonObject { ["actor"] = actor, ["amount"] = 1.50 };
        return entry;
    }

    /// <summary>The scripts docs/operations.md gives operators, read from the page so that the test runs what it says.</summary>
    private static class OperationsDoc
    {
        /// <summary>The page's text.</summary>
        public static string Page { get; } = Read();

        /// <summary>The SQL of the psql here-document that compares a restored log with an off-site heads checkpoint.</summary>
        public static string CheckpointComparison { get; } = ReadComparison(Page);

        private static string Read()
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Argus.sln")))
            {
                root = root.Parent;
            }

            return File.ReadAllText(Path.Combine(root?.FullName ?? throw new InvalidOperationException("Argus.sln not found"), "docs", "operations.md"));
        }

        private static string ReadComparison(string page)
        {
            var start = page.IndexOf("<<'SQL'\n", page.IndexOf("## Backup and restore", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.True(start >= 0, "docs/operations.md has no psql here-document (<<'SQL') under Backup and restore");
            start += "<<'SQL'\n".Length;
            var end = System.Text.RegularExpressions.Regex.Match(page[start..], @"^\s*SQL$", System.Text.RegularExpressions.RegexOptions.Multiline);
            Assert.True(end.Success, "the psql here-document of docs/operations.md does not end");
            return page.Substring(start, end.Index);
        }
    }
}
