using System.Net;
using System.Text.Json.Nodes;
using Argus.Gateway.Security;

namespace Argus.Gateway.Tests;

/// <summary>
/// <c>/api/integrity/checkpoints</c>: a heads checkpoint made on demand states every partition's
/// head, is listed with the exact body signed, and its signature verifies offline with the
/// published public key; the listing pages by id and kind and refuses bad input naming it; the
/// endpoints ask for <c>audit:admin</c> and a credential not bound to a tenant.
/// </summary>
public sealed class CheckpointsTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private ArgusTestNode Node => fixture.Node;

    [Fact]
    public async Task A_checkpoint_made_on_demand_states_every_head_and_verifies_offline_with_the_published_key()
    {
        for (var i = 0; i < 5; i++)
        {
            await Node.Client.CreateAsync(AuditJson.Minimal(timestamp: $"2024-03-0{i + 1}T10:00:00Z"));
        }

        var made = await Node.Client.MakeCheckpointAsync();

        Assert.Equal(["body", "createdAt", "id", "keyId", "kind", "signature"], made.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("heads", (string?)made["kind"]);
        var body = CheckpointCalls.Body(made);
        Assert.Equal("argus-checkpoint/1", (string?)body["format"]);
        Assert.Equal((string?)made["createdAt"], (string?)body["createdAt"]);
        var stated = body["heads"]!.AsArray().Select(h => ((int)h!["partition"]!, (long)h["seq"]!, (string)h["hash"]!)).ToList();
        var stored = await HeadsAsync();
        Assert.Equal(stored, stated);
        Assert.Equal(5, stated.Sum(h => h.Item2));

        var listing = await Node.Client.ListCheckpointsAsync();
        Assert.Equal(["algorithm", "checkpoints", "keyId", "next", "publicKey"], listing.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("ECDSA P-256 SHA-256 (IEEE P1363)", (string?)listing["algorithm"]);
        var publicKey = (string)listing["publicKey"]!;
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", publicKey, StringComparison.Ordinal);
        var listed = listing["checkpoints"]!.AsArray().Select(c => c!.AsObject()).Single(c => (long)c["id"]! == (long)made["id"]!);
        Assert.Equal(made.ToJsonString(), listed.ToJsonString());
        Assert.True(CheckpointCalls.VerifiesWith(listed, publicKey), "the signature does not verify with the published key");
        Assert.Equal((string?)listing["keyId"], (string?)listed["keyId"]);

        // The check is worth something: the same JSON with one more space no longer verifies.
        var forged = listed.DeepClone().AsObject();
        forged["body"] = ((string)listed["body"]!).Replace("\"heads\":[", "\"heads\": [", StringComparison.Ordinal);
        Assert.NotEqual((string?)listed["body"], (string?)forged["body"]);
        Assert.False(CheckpointCalls.VerifiesWith(forged, publicKey));
    }

    [Fact]
    public async Task The_listing_pages_newest_first_by_id_and_filters_by_kind()
    {
        var made = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            made.Add((long)(await Node.Client.MakeCheckpointAsync())["id"]!);
        }

        var first = await Node.Client.ListCheckpointsAsync("limit=2");
        Assert.Equal([made[2], made[1]], Ids(first));
        Assert.Equal(made[1], (long)first["next"]!);

        var second = await Node.Client.ListCheckpointsAsync($"limit=2&before={made[1]}");
        Assert.Equal(made[0], Ids(second)[0]);
        Assert.All(Ids(second), id => Assert.True(id < made[1]));

        var heads = await Node.Client.ListCheckpointsAsync($"kind=heads&before={made[2] + 1}&limit=1000");
        Assert.Equal(made[2], Ids(heads)[0]);
        Assert.All(heads["checkpoints"]!.AsArray(), c => Assert.Equal("heads", (string?)c!["kind"]));
        Assert.Null(heads["next"]);

        var retention = await Node.Client.ListCheckpointsAsync("kind=retention");
        Assert.Empty(retention["checkpoints"]!.AsArray());
        Assert.Null(retention["next"]);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=1&limit=2", "limit")]
    [InlineData("before=0", "before")]
    [InlineData("before=-5", "before")]
    [InlineData("before=abc", "before")]
    [InlineData("kind=all", "kind")]
    [InlineData("kind=HEADS", "kind")]
    [InlineData("after=3", "after")]
    public async Task Bad_listing_input_is_400_naming_the_field(string query, string field)
    {
        using var response = await Node.Client.GetAsync(CheckpointCalls.Path + "?" + query);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Without_audit_admin_or_with_a_tenant_bound_credential_both_endpoints_refuse()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        using var anonymous = Node.CreateAnonymousClient();
        using var readWrite = ClientWithKey(await Node.CreateKeyAsync("integrity-rw-" + suffix, [ArgusScopes.Read, ArgusScopes.Write]));
        using var tenantAdmin = ClientWithKey(await Node.CreateKeyAsync("integrity-tenant-" + suffix, ArgusScopes.All.ToArray(), "tenant-" + suffix));
        var before = await CountAsync();

        foreach (var post in new[] { false, true })
        {
            using (var response = await Send(anonymous, post))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            using (var response = await Send(readWrite, post))
            {
                var body = await response.ReadObjectAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, body.ToJsonString());
                Assert.Equal("forbidden: this credential lacks the scope 'audit:admin'", (string?)body["error"]);
            }

            using (var response = await Send(tenantAdmin, post))
            {
                var body = await response.ReadObjectAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, body.ToJsonString());
                Assert.Contains("tenant", (string?)body["error"], StringComparison.Ordinal);
            }
        }

        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_listings_parameters()
    {
        var document = JsonNode.Parse(await Node.Client.GetStringAsync("/openapi.json"))!;

        var list = document["paths"]![CheckpointCalls.Path]!["get"]!;
        var parameters = list["parameters"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!["schema"]!);
        Assert.Equal(["before", "kind", "limit"], parameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["heads", "retention"], parameters["kind"]["enum"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("1000", parameters["limit"]["maximum"]!.ToString());
        Assert.Contains("201", document["paths"]![CheckpointCalls.Path]!["post"]!["responses"]!.AsObject().Select(r => r.Key));
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, bool post) =>
        post ? client.PostAsync(CheckpointCalls.Path, null) : client.GetAsync(CheckpointCalls.Path);

    private HttpClient ClientWithKey(string key)
    {
        var client = Node.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add(Credentials.ApiKeyHeader, key);
        return client;
    }

    private static List<long> Ids(JsonObject listing) => listing["checkpoints"]!.AsArray().Select(c => (long)c!["id"]!).ToList();

    private Task<long> CountAsync() => fixture.Database.ScalarAsync<long>("SELECT count(*) FROM argus_checkpoints");

    private async Task<List<(int, long, string)>> HeadsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT partition_id, last_seq, head_hash FROM argus_partitions WHERE last_seq > 0 ORDER BY partition_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var heads = new List<(int, long, string)>();
        while (await reader.ReadAsync())
        {
            heads.Add((reader.GetInt32(0), reader.GetInt64(1), Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(2))));
        }

        return heads;
    }
}

/// <summary>Checkpoints on a node of its own settings: without a signing key, and every second.</summary>
public sealed class CheckpointSettingsTests
{
    [Fact]
    public async Task Without_a_signing_key_making_one_is_503_and_the_listing_names_no_key()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?> { [TestSigningKey.Setting] = "" });
        await node.Client.CreateAsync(AuditJson.Minimal());

        using var response = await node.Client.PostAsync(CheckpointCalls.Path, null);

        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, body.ToJsonString());
        Assert.Equal("no signing key is configured: set Argus:Integrity:SigningKeyFile", (string?)body["error"]);
        var listing = await node.Client.ListCheckpointsAsync();
        Assert.Null(listing["keyId"]);
        Assert.Null(listing["publicKey"]);
        Assert.Empty(listing["checkpoints"]!.AsArray());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM argus_checkpoints"));
    }

    [Fact]
    public async Task A_node_records_the_heads_every_interval_once_they_moved()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Integrity:CheckpointInterval"] = "00:00:01",
        });
        var trace = Guid.NewGuid();
        var entry = AuditJson.Minimal();
        entry["traceId"] = trace.ToString();
        await node.Client.CreateAsync(entry);
        entry = AuditJson.Minimal();
        entry["traceId"] = trace.ToString();
        await node.Client.CreateAsync(entry);
        var partition = await database.ScalarAsync<int>("SELECT partition_id FROM argus_partitions WHERE last_seq = 2");

        // Nobody asks for it: the silo's schedule makes it within about an interval.
        JsonObject? found = null;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                var listing = await node.Client.ListCheckpointsAsync("kind=heads");
                found = listing["checkpoints"]!.AsArray().Select(c => c!.AsObject())
                    .FirstOrDefault(c => CheckpointCalls.Body(c)["heads"]!.AsArray().Any(h => (int)h!["partition"]! == partition && (long)h["seq"]! == 2));
                return found is not null;
            },
            "a heads checkpoint naming the partition's second entry",
            TimeSpan.FromSeconds(20));

        var publicKey = (string)(await node.Client.ListCheckpointsAsync())["publicKey"]!;
        Assert.True(CheckpointCalls.VerifiesWith(found!, publicKey));
    }
}
