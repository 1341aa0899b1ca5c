using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>What Argus records about itself (source <c>argus</c>), read back through the API as any entry is.</summary>
public sealed class SelfAuditTests
{
    private static readonly Dictionary<string, string?> Recording = new()
    {
        ["Argus:SelfAudit:Enabled"] = "true",
        ["Argus:SelfAudit:RefusalWindow"] = "00:00:00.500",
        ["Argus:SelfAudit:KeySweepInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task Making_and_revoking_a_key_through_the_api_is_recorded_with_its_actor()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, Recording);
        using var created = await node.Client.PostKeyAsync("audited", ["audit:read"], "tenant-x");
        var key = (string)(await created.ReadJsonAsync())["key"]!;
        Assert.Equal(HttpStatusCode.OK, (await node.Client.DeleteAsync(KeyCalls.Path + "/audited")).StatusCode);

        var madeEntry = await WaitForOneAsync(node, "argus.key.created", "audited");
        var revokedEntry = await WaitForOneAsync(node, "argus.key.revoked", "audited");
        using var list = await node.Client.GetAsync(KeyCalls.Path);
        var admin = "key:" + (await list.ReadJsonAsync())["keys"]!.AsArray()
            .Select(k => (string)k!["name"]!).Single(n => n.StartsWith("test-all-", StringComparison.Ordinal));
        foreach (var (entry, action) in new[] { (madeEntry, "CREATE"), (revokedEntry, "DELETE") })
        {
            Assert.Equal("argus", (string?)entry["source"]);
            Assert.Equal(admin, (string?)entry["actorId"]);
            Assert.Equal("ADMIN", (string?)entry["actorType"]);
            Assert.Equal("RESOURCE", (string?)entry["targetType"]);
            Assert.Equal(action, (string?)entry["eventAction"]);
            Assert.Equal("tenant-x", (string?)entry["tenantId"]);
            Assert.Equal(key[..12], (string?)entry["additionalMetadata"]!["keyPrefix"]);
            Assert.DoesNotContain(key, entry.ToJsonString(), StringComparison.Ordinal);
        }

        // Recorded once, though the node's sweep sees the same changes too.
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM argus_api_keys WHERE name = 'audited' AND NOT (created_recorded AND revoked_recorded)"));
        Assert.Single(await node.Client.SelfEntriesAsync("argus.key.created", "audited"));
    }

    [Fact]
    public async Task Keys_changed_by_the_command_are_recorded_by_the_node_with_actor_cli()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, Recording);
        var create = await KeysCli.RunAsync(database.ConnectionString, "create", "--name", "from-cli", "--scopes", "audit:write");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal(0, (await KeysCli.RunAsync(database.ConnectionString, "revoke", "from-cli")).ExitCode);

        Assert.Equal("cli", (string?)(await WaitForOneAsync(node, "argus.key.created", "from-cli"))["actorId"]);
        Assert.Equal("cli", (string?)(await WaitForOneAsync(node, "argus.key.revoked", "from-cli"))["actorId"]);
    }

    [Fact]
    public async Task Refused_credentials_are_counted_per_address_not_recorded_one_by_one()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(
            database.ConnectionString, new Dictionary<string, string?>(Recording) { ["Argus:SelfAudit:RefusalWindow"] = "00:00:03" });
        using var intruder = node.WithKey("argus_not-a-key-at-all");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => intruder.ReadStatusAsync()));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));

        List<JsonObject> entries = [];
        await Eventually.WaitUntilAsync(async () =>
        {
            entries = await node.Client.SelfEntriesAsync("argus.credential.refused");
            return entries.Sum(e => (long)e["additionalMetadata"]!["count"]!) == 40;
        }, "40 refusals to be recorded");

        // Refusals made within a second or so fall into one window, or two when a window ends among them.
        Assert.True(entries.Count <= 2, $"{entries.Count} entries for 40 refusals");
        Assert.All(entries, e =>
        {
            Assert.Equal("127.0.0.1", (string?)e["ipAddress"]);
            Assert.Equal("FAILURE", (string?)e["status"]);
            Assert.Equal("argus", (string?)e["source"]);
        });
    }

    [Fact]
    public async Task A_node_starting_with_changed_settings_records_which_changed()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using (var first = await ArgusTestNode.StartAsync(database.ConnectionString, Recording))
        {
            var initial = await WaitForCountAsync(first, "argus.config.changed", 1);
            var changed = initial[0]["additionalMetadata"]!["changedKeys"]!.AsArray().Select(k => (string)k!).ToList();
            Assert.Contains("Argus:Auth:Mode", changed);
            Assert.Contains("Argus:Silo:PartitionCount", changed);
            Assert.DoesNotContain(changed, k => k.Contains("Connection", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain("Host=", initial[0].ToJsonString(), StringComparison.Ordinal);
        }

        var settings = new Dictionary<string, string?>(Recording) { ["Argus:Writer:MaxBatchEntries"] = "1000" };
        await using var second = await ArgusTestNode.StartAsync(database.ConnectionString, settings);
        var entries = await WaitForCountAsync(second, "argus.config.changed", 2);
        var latest = entries.MaxBy(e => (string)e["timestamp"]!)!;
        Assert.Equal(["Argus:Writer:MaxBatchEntries"], latest["additionalMetadata"]!["changedKeys"]!.AsArray().Select(k => (string)k!));
        Assert.Equal("1000", (string?)latest["additionalMetadata"]!["settings"]!["Argus:Writer:MaxBatchEntries"]);
        Assert.Equal("local", (string?)latest["actorId"]);
    }

    private static async Task<JsonObject> WaitForOneAsync(ArgusTestNode node, string eventType, string target) =>
        (await WaitForCountAsync(node, eventType, 1, target)).Single();

    private static async Task<List<JsonObject>> WaitForCountAsync(ArgusTestNode node, string eventType, int count, string? target = null)
    {
        List<JsonObject> entries = [];
        await Eventually.WaitUntilAsync(async () =>
        {
            entries = await node.Client.SelfEntriesAsync(eventType, target);
            return entries.Count >= count;
        }, $"{count} {eventType} entries{(target is null ? "" : " for " + target)}");
        Assert.Equal(count, entries.Count);
        return entries;
    }
}
