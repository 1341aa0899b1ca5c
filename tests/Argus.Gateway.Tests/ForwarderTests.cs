using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// Forwarders post committed entries to a receiver: all of them, in order per partition, through a
/// receiver outage; a receiver's refusals become dead letters that a replay drains; the admin API
/// shows lag and settings but never the secret.
/// </summary>
public sealed class ForwarderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_forwarder_delivers_every_matching_entry_in_order_per_partition_through_a_receiver_outage()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, Settings(receiver, new()
        {
            ["Argus:Forwarders:siem:Filters:tenantId"] = "shipped",
            ["Argus:Forwarders:siem:Secret"] = "Bearer s3cret",
        }));
        var traces = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();

        var first = await WriteInTraceOrderAsync(node.Client, traces, perTrace: 10, "shipped");
        await WriteInTraceOrderAsync(node.Client, traces, perTrace: 2, "kept-here");
        await Eventually.WaitUntilAsync(() => first.All(receiver.Received.Contains), "the first entries delivered", Patience);
        Assert.Equal("Bearer s3cret", receiver.LastHeaders["Authorization"]);
        Assert.Equal("siem", receiver.LastHeaders["Argus-Forwarder"]);

        receiver.Mode = TestReceiver.Answer.Fail;
        var attempts = receiver.Attempts;
        var during = await WriteInTraceOrderAsync(node.Client, traces, perTrace: 10, "shipped");
        await Eventually.WaitUntilAsync(() => receiver.Attempts > attempts + 3, "the receiver to be tried while it is down", Patience);
        var status = await ForwarderAsync(node.Client, "siem");
        Assert.True((long)status["lag"]! > 0, status.ToJsonString());
        Assert.DoesNotContain("s3cret", status.ToJsonString(), StringComparison.Ordinal);

        receiver.Mode = TestReceiver.Answer.Accept;
        var all = first.Concat(during).ToHashSet();
        await Eventually.WaitUntilAsync(() => all.IsSubsetOf(receiver.Received), "every entry delivered after the outage", Patience);

        // Only the filtered tenant's entries, and each trace's (one partition's) in the order written.
        var firstSeen = receiver.Received.Distinct().ToList();
        Assert.Equal(all.Order(), firstSeen.Order());
        foreach (var trace in traces)
        {
            var written = first.Concat(during).Where(id => TraceOf[id] == trace).ToList();
            Assert.Equal(written, firstSeen.Where(id => TraceOf[id] == trace));
        }

        await Eventually.WaitUntilAsync(async () => (long)(await ForwarderAsync(node.Client, "siem"))["lag"]! == 0, "the lag to drop to 0", Patience);
    }

    [Fact]
    public async Task Batches_a_receiver_refuses_become_dead_letters_and_a_replay_drains_them()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Mode = TestReceiver.Answer.Refuse;
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, Settings(receiver, new()
        {
            ["Argus:Forwarders:siem:MaxAttempts"] = "2",
        }));

        var written = await WriteInTraceOrderAsync(node.Client, [Guid.NewGuid(), Guid.NewGuid()], perTrace: 6, tenant: null);
        await Eventually.WaitUntilAsync(async () => (long)(await ForwarderAsync(node.Client, "siem"))["deadLetters"]! > 0
            && DeadLetterIds(await node.Client.GetFromJsonAsync<JsonObject>("/api/admin/forwarders/siem/dead-letters?limit=100")).Count == written.Count,
            "every entry set aside as a dead letter", Patience);
        var letters = (await node.Client.GetFromJsonAsync<JsonObject>("/api/admin/forwarders/siem/dead-letters?limit=100"))!;
        Assert.All(letters["deadLetters"]!.AsArray(), l => Assert.Equal(400, (int)l!["status"]!));
        Assert.Empty(receiver.Received);

        receiver.Mode = TestReceiver.Answer.Accept;
        using var replay = await node.Client.PostAsync("/api/admin/forwarders/siem/dead-letters/replay", null);
        var result = await replay.ReadObjectAsync();
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal((0, 0L), ((int)result["failed"]!, (long)result["remaining"]!));
        Assert.Equal(written.Order(), receiver.Received.Order());
        Assert.Empty(DeadLetterIds(await node.Client.GetFromJsonAsync<JsonObject>("/api/admin/forwarders/siem/dead-letters")));
    }

    [Fact]
    public async Task Unknown_forwarders_are_404_and_a_bad_setting_stops_the_node_naming_it()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using (var node = await ArgusTestNode.StartAsync(database.ConnectionString, Settings(receiver, [])))
        {
            using var missing = await node.Client.GetAsync("/api/admin/forwarders/nope/dead-letters");
            await AuditApi.AssertErrorAsync(missing, HttpStatusCode.NotFound, "name", messageNamesField: false);
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ArgusTestNode.StartAsync(database.ConnectionString, Settings(receiver, new()
        {
            ["Argus:Forwarders:siem:Filters:status"] = "MAYBE",
        })));
        Assert.Contains("Argus:Forwarders:siem:Filters", error.Message, StringComparison.Ordinal);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Guid> TraceOf = new();

    private static Dictionary<string, string?> Settings(TestReceiver receiver, Dictionary<string, string?> more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Argus:Forwarders:siem:Url"] = receiver.Url.ToString(),
            ["Argus:Forwarders:siem:BatchSize"] = "7",
            ["Argus:Forwarders:siem:From"] = "beginning",
            ["Argus:Forwarders:siem:MaxBackoff"] = "00:00:00.200",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Writes <paramref name="perTrace"/> entries to each trace, each trace's one after another (traces in parallel); returns the ids.</summary>
    private static async Task<List<Guid>> WriteInTraceOrderAsync(HttpClient client, Guid[] traces, int perTrace, string? tenant)
    {
        var written = await Task.WhenAll(traces.Select(async trace =>
        {
            var ids = new List<Guid>();
            for (var i = 0; i < perTrace; i++)
            {
                var entry = AuditJson.Minimal();
                entry["traceId"] = trace.ToString();
                if (tenant is not null)
                {
                    entry["tenantId"] = tenant;
                }

                var id = Guid.Parse((string)(await client.CreateAsync(entry))["id"]!);
                TraceOf[id] = trace;
                ids.Add(id);
            }

            return ids;
        }));
        return [.. written.SelectMany(ids => ids)];
    }

    private static async Task<JsonObject> ForwarderAsync(HttpClient client, string name)
    {
        var list = (await client.GetFromJsonAsync<JsonObject>("/api/admin/forwarders"))!;
        return list["forwarders"]!.AsArray().Single(f => (string?)f!["name"] == name)!.AsObject();
    }

    private static List<Guid> DeadLetterIds(JsonObject? page) =>
        [.. page!["deadLetters"]!.AsArray().SelectMany(l => l!["entries"]!.AsArray().Select(e => Guid.Parse((string)e!["id"]!)))];
}
