using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Argus.Gateway.Hosting;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Integrity;
using Argus.Grains.Integrity;
using Argus.TestInfrastructure;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// The hash chains against a database superuser who goes around Argus's append-only triggers:
/// each kind of change is found by <c>verify</c> (the command and the API), named by partition and
/// sequence number, and an untouched log verifies clean. Each test has a database of its own.
/// </summary>
public sealed class IntegrityTests : IAsyncLifetime
{
    private readonly string keyFile = Path.Combine(Path.GetTempPath(), $"argus-integrity-{Guid.NewGuid():N}.pem");
    private TestDatabase database = null!;
    private ArgusTestNode node = null!;

    public async Task InitializeAsync()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        SigningKey.LoadOrCreate(keyFile).Dispose();
        node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Integrity:SigningKeyFile"] = keyFile,
        });
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await database.DisposeAsync();
        File.Delete(keyFile);
    }

    [Fact]
    public async Task An_untouched_log_verifies_and_exits_0()
    {
        await WriteAsync(120);

        var (exit, lines) = await VerifyAsync();

        Assert.Equal(0, exit);
        Assert.StartsWith("verified 8 partitions, 120 entries: every chain holds", lines[0], StringComparison.Ordinal);
        Assert.Equal(2, lines.Count);
    }

    [Fact]
    public async Task Metadata_in_any_spelling_verifies_after_jsonb_normalised_it()
    {
        // jsonb reorders members, drops white space and respells numbers and escapes: the encoding must not care.
        foreach (var metadata in new[]
        {
            """{"zeta": 1, "alpha": [1.50, 1e2, -0.0, 0.000120, 12345678901234567890123], "é": "\u00e9\u0041\ud83d\ude00"}""",
            """{ "nested" : { "b" : true, "a" : null, "c" : [ {}, [] ] }, "big": 1E+400, "tiny": -25e-401 }""",
            """{"": "", "A": "\"quoted\" \\ \/ \b\f\n\r\t", "a": 0.1}""",
        })
        {
            var entry = AuditJson.Minimal();
            entry["requestMetadata"] = JsonNode.Parse(metadata);
            entry["responseMetadata"] = JsonNode.Parse(metadata);
            entry["traceId"] = Guid.NewGuid().ToString();
            entry["ipAddress"] = "::ffff:10.1.2.3";
            entry["latencyMs"] = 0.1 + 0.2;
            var response = await node.Client.PostEntryAsync(entry);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var (exit, lines) = await VerifyAsync();

        Assert.True(exit == 0, string.Join('\n', lines));
    }

    [Fact]
    public async Task An_updated_field_is_reported_as_altered_at_its_position()
    {
        var (partition, seq, id) = (await WriteAsync(40)).Skip(5).First();

        await TamperAsync("UPDATE audit_logs SET actor_id = 'someone-else' WHERE id = $1", id);

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Equal($"partition {partition} seq {seq}: altered: entry {id} does not match its hash: a stored field was changed", lines[0]);
        Assert.StartsWith("verified 8 partitions, 40 entries: 1 problem", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_metadata_value_is_altered_too()
    {
        var entry = AuditJson.Minimal();
        entry["additionalMetadata"] = new JsonObject { ["amount"] = 100 };
        var created = await node.Client.CreateAsync(entry);
        var id = Guid.Parse(created["id"]!.GetValue<string>());

        await TamperAsync("UPDATE audit_logs SET additional_metadata = '{\"amount\": 1}' WHERE id = $1", id);

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Contains(lines, l => l.Contains($": altered: entry {id} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deleted_row_is_missing_in_the_middle_and_at_the_end()
    {
        var stored = await WriteAsync(60);
        var partition = stored.GroupBy(s => s.Partition).First(g => g.Count() >= 3);
        var middle = partition.OrderBy(s => s.Seq).ElementAt(1);
        var last = partition.MaxBy(s => s.Seq);

        await TamperAsync("DELETE FROM audit_logs WHERE id = $1 OR id = $2", middle.Id, last.Id);

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Contains($"partition {partition.Key} seq {middle.Seq}: missing: the entry is not stored", lines);
        Assert.Contains($"partition {partition.Key} seq {last.Seq}: missing: the entry is not stored", lines);
        Assert.StartsWith("verified 8 partitions, 58 entries: 2 problems", lines[^2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_row_is_inserted_whether_it_takes_a_position_or_follows_the_head()
    {
        var stored = await WriteAsync(30);
        var (partition, seq, id) = stored[0];
        var head = stored.Where(s => s.Partition == partition).Max(s => s.Seq);

        // A copy of a real entry at a taken position, and a forger who computes a valid hash past the head.
        await TamperAsync(Copy("gen_random_uuid()", "seq", "prev_hash", "hash") + " WHERE id = $1", id);
        var previous = await database.ScalarAsync<byte[]>("SELECT hash FROM audit_logs WHERE partition_id = $1 AND seq = $2", partition, head);
        var forged = new AuditEntry
        {
            Id = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Status = AuditStatus.Success, ActorType = ActorType.Admin,
            ActorId = "forger", TargetType = TargetType.Resource, CreatedAt = Rfc3339.TruncateToMicroseconds(DateTimeOffset.UtcNow),
        };
        var hash = new EntryHash().Compute(forged, forged.CreatedAt, partition, head + 1, previous);
        await TamperAsync(
            "INSERT INTO audit_logs (id, occurred_at, status, actor_type, actor_id, target_type, created_at, partition_id, seq, prev_hash, hash) " +
            "VALUES ($1, $2, 'SUCCESS', 'ADMIN', 'forger', 'RESOURCE', $3, $4, $5, $6, $7)",
            forged.Id, forged.Timestamp.UtcDateTime, forged.CreatedAt.UtcDateTime, partition, head + 1, previous, hash);

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Contains(lines, l => l.StartsWith($"partition {partition} seq {seq}: inserted: a second entry ", StringComparison.Ordinal)
            && l.EndsWith($"(the chain's is {id})", StringComparison.Ordinal));
        Assert.Contains($"partition {partition} seq {head + 1}: inserted: entries {head + 1}..{head + 1} lie past the partition's recorded head ({head})", lines);
    }

    [Fact]
    public async Task A_swapped_pair_is_out_of_order_at_both_positions()
    {
        var stored = await WriteAsync(40);
        var pair = stored.GroupBy(s => s.Partition).First(g => g.Count() >= 3).OrderBy(s => s.Seq).Take(2).ToArray();

        await TamperAsync("UPDATE audit_logs SET seq = CASE WHEN id = $1 THEN $4 ELSE $3 END WHERE id IN ($1, $2)",
            pair[0].Id, pair[1].Id, pair[0].Seq, pair[1].Seq);

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Contains($"partition {pair[0].Partition} seq {pair[0].Seq}: out of order: entry {pair[1].Id} was written at seq {pair[1].Seq}, not here", lines);
        Assert.Contains($"partition {pair[0].Partition} seq {pair[1].Seq}: out of order: entry {pair[0].Id} was written at seq {pair[0].Seq}, not here", lines);
    }

    [Fact]
    public async Task A_rewritten_chain_tail_is_caught_only_by_the_signed_checkpoint()
    {
        var stored = await WriteAsync(40);
        await CheckpointAsync();
        var partition = stored.GroupBy(s => s.Partition).First(g => g.Count() >= 3).OrderBy(s => s.Seq).ToArray();
        var (kept, dropped) = (partition[^3], partition[^2..]);

        // A careful forger: removes the last two entries and winds the recorded head back, so the chain itself holds.
        await TamperAsync("DELETE FROM audit_logs WHERE id = ANY($1)", dropped.Select(d => d.Id).ToArray());
        await TamperAsync(
            "UPDATE argus_partitions SET last_seq = $2, head_hash = (SELECT hash FROM audit_logs WHERE partition_id = $1 AND seq = $2) WHERE partition_id = $1",
            kept.Partition, kept.Seq);

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Equal(
            $"partition {kept.Partition} seq {dropped[^1].Seq}: checkpoint: checkpoint 1 ",
            lines[0][..$"partition {kept.Partition} seq {dropped[^1].Seq}: checkpoint: checkpoint 1 ".Length]);
        Assert.EndsWith($"vouches for entries up to {dropped[^1].Seq}, but the chain ends at {kept.Seq}", lines[0], StringComparison.Ordinal);
        Assert.Contains("checkpoint: 1 partition disagree with checkpoint 1 of ", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_checkpoint_fails_its_signature()
    {
        await WriteAsync(10);
        await CheckpointAsync();

        await TamperAsync("UPDATE argus_checkpoints SET body = replace(body, '\"seq\":', '\"seq\":1')");

        var (exit, lines) = await VerifyAsync();
        Assert.Equal(1, exit);
        Assert.Contains(lines, l => l.StartsWith("log: signature: checkpoint 1 (heads, ", StringComparison.Ordinal) && l.EndsWith("does not match its signature: it was altered or forged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_api_verifies_one_partition_and_names_the_altered_sequence_number()
    {
        var (partition, seq, id) = (await WriteAsync(30))[0];
        var clean = await GetAsync($"/api/integrity/verify?partition={partition}");
        Assert.True(clean.GetProperty("holds").GetBoolean());
        Assert.True(clean.GetProperty("entries").GetInt64() > 0);
        Assert.True(clean.GetProperty("signaturesChecked").GetBoolean());

        await TamperAsync("UPDATE audit_logs SET status = 'FAILURE' WHERE id = $1", id);

        var report = await GetAsync($"/api/integrity/verify?partition={partition}");
        Assert.False(report.GetProperty("holds").GetBoolean());
        var problem = Assert.Single(report.GetProperty("problems").EnumerateArray());
        Assert.Equal(seq, problem.GetProperty("seq").GetInt64());
        Assert.Equal("altered", problem.GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?partition=8")]
    [InlineData("?partition=-1")]
    [InlineData("?partition=one")]
    public async Task The_api_names_a_bad_partition(string query)
    {
        var response = await node.Client.GetAsync("/api/integrity/verify" + query);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "partition");
    }

    [Fact]
    public async Task The_api_is_for_cluster_admins_only()
    {
        using var reader = node.CreateAnonymousClient();
        reader.DefaultRequestHeaders.Add("X-Api-Key", await node.CreateKeyAsync("reader", ["audit:read"]));
        using var tenantAdmin = node.CreateAnonymousClient();
        tenantAdmin.DefaultRequestHeaders.Add("X-Api-Key", await node.CreateKeyAsync("tenant-admin", ["audit:admin"], tenant: "t1"));
        using var anonymous = node.CreateAnonymousClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/integrity/verify?partition=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/api/integrity/verify?partition=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.GetAsync("/api/integrity/verify?partition=0")).StatusCode);
    }

    /// <summary>Stores <paramref name="count"/> entries of distinct traces (spread over the partitions); returns where each went, in write order.</summary>
    private async Task<List<(int Partition, long Seq, Guid Id)>> WriteAsync(int count)
    {
        var entries = Enumerable.Range(0, count).Select(i =>
        {
            var entry = AuditJson.Minimal();
            entry["traceId"] = Guid.NewGuid().ToString();
            entry["eventType"] = "EVENT_" + (i % 3);
            entry["requestMetadata"] = new JsonObject { ["n"] = i, ["tags"] = new JsonArray("a", "b") };
            return entry;
        }).ToList();
        var created = await node.Client.CreateAllAsync(entries, parallelism: 8);
        var ids = created.Select(c => Guid.Parse(c["id"]!.GetValue<string>())).ToArray();
        var positions = new Dictionary<Guid, (int, long)>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, partition_id, seq FROM audit_logs WHERE id = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            positions[reader.GetGuid(0)] = (reader.GetInt32(1), reader.GetInt64(2));
        }

        return ids.Select(id => (positions[id].Item1, positions[id].Item2, id)).ToList();
    }

    /// <summary>A change made as a superuser who switches the triggers off for the session.</summary>
    private async Task TamperAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET session_replication_role = replica", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        Assert.True(await command.ExecuteNonQueryAsync() > 0, sql);
    }

    /// <summary>An INSERT of a copy of audit_logs rows, with some columns replaced by expressions.</summary>
    private static string Copy(params string[] replaced)
    {
        const string columns = "id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, target_id, " +
            "request_metadata, response_metadata, additional_metadata, created_at, partition_id, seq, prev_hash, hash";
        var select = string.Join(", ", columns.Split(", ").Select(c => c == "id" ? replaced[0] : c));
        return $"INSERT INTO audit_logs ({columns}) SELECT {select} FROM audit_logs";
    }

    private async Task CheckpointAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new CheckpointStore(dataSource);
        using var key = SigningKey.LoadOrCreate(keyFile);
        var heads = await store.ReadHeadsAsync(CancellationToken.None);
        await store.AddAsync(Checkpoint.HeadsKind, Checkpoint.HeadsBody(DateTimeOffset.UtcNow, heads), key, CancellationToken.None);
    }

    private async Task<(int Exit, List<string> Lines)> VerifyAsync()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await VerifyCommand.RunAsync(["--connection", database.ConnectionString, "--key", keyFile], output, error, showProgress: false);
        Assert.Equal("", error.ToString());
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList());
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        var response = await node.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadElementAsync();
    }
}
