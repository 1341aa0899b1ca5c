using System.Net;
using System.Text.Json.Nodes;
using Argus.Gateway.Tail;

namespace Argus.Gateway.Tests;

/// <summary>
/// The live tail: every committed entry of a load exactly once and in commit order per partition,
/// resumption from any event's id, the query's filters and the caller's tenant, refusals, heartbeats,
/// and the drop of a client that falls behind.
/// </summary>
public sealed class TailTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task A_tail_sees_every_entry_of_a_concurrent_load_once_in_commit_order_per_partition()
    {
        var tenant = "tail-" + Guid.NewGuid().ToString("N");
        await using var tail = await TailReader.OpenAsync(client, $"tenantId={tenant}");

        var acknowledged = await client.CreateAllAsync(Entries(tenant, 400), parallelism: 32);
        var events = await tail.ReadEntriesAsync(acknowledged.Length, Patience);

        Assert.Equal(acknowledged.Select(e => (string)e["id"]!).Order(), events.Select(e => (string)e.Json["id"]!).Order());
        AssertOnePartitionAdvancesPerEvent(events);
    }

    [Fact]
    public async Task Reconnecting_with_last_event_id_or_from_resumes_after_that_entry_exactly_once()
    {
        var tenant = "resume-" + Guid.NewGuid().ToString("N");
        List<TailEvent> first;
        await using (var tail = await TailReader.OpenAsync(client, $"tenantId={tenant}"))
        {
            await client.CreateAllAsync(Entries(tenant, 60), parallelism: 8);
            first = await tail.ReadEntriesAsync(25, Patience);
        }

        // Committed while no client is connected.
        await client.CreateAllAsync(Entries(tenant, 40), parallelism: 8);

        await using var resumed = await TailReader.OpenAsync(client, $"tenantId={tenant}", lastEventId: first[^1].Id);
        var rest = await resumed.ReadEntriesAsync(75, Patience);
        var all = first.Concat(rest).Select(e => (string)e.Json["id"]!).ToList();
        Assert.Equal(100, all.Distinct().Count());
        AssertOnePartitionAdvancesPerEvent([.. first, .. rest]);

        // The same position as a parameter.
        await using var again = await TailReader.OpenAsync(client, $"tenantId={tenant}&from={Uri.EscapeDataString(first[^1].Id!)}");
        // The same entries; how partitions interleave may differ (each is in commit order).
        Assert.Equal(rest.Select(e => (string?)e.Json["id"]).Order(), (await again.ReadEntriesAsync(75, Patience)).Select(e => (string?)e.Json["id"]).Order());
    }

    [Fact]
    public async Task A_tail_sends_only_entries_matching_its_filters_and_the_callers_tenant()
    {
        var (mine, theirs) = ("mine-" + Guid.NewGuid().ToString("N"), "theirs-" + Guid.NewGuid().ToString("N"));
        var actor = "tail-actor-" + Guid.NewGuid().ToString("N");
        using var bound = fixture.Node.CreateAnonymousClient();
        bound.DefaultRequestHeaders.Add(Argus.Gateway.Security.Credentials.ApiKeyHeader,
            await fixture.Node.CreateKeyAsync("tail-" + Guid.NewGuid().ToString("N")[..8], ["audit:read"], mine));
        await using var tail = await TailReader.OpenAsync(bound, $"actorId={actor}&status=FAILURE");

        var entries = new List<JsonObject>();
        foreach (var tenant in new[] { mine, theirs })
        {
            foreach (var status in new[] { "SUCCESS", "FAILURE" })
            {
                var entry = AuditJson.Minimal(actor);
                (entry["tenantId"], entry["status"]) = (tenant, status);
                entries.Add(entry);
            }
        }

        var acknowledged = await client.CreateAllAsync(entries, parallelism: 1);
        var matching = acknowledged[1];
        // A later entry of the same kind marks the end: the tail cannot have skipped to it past one that matches.
        var marker = AuditJson.Minimal(actor);
        (marker["tenantId"], marker["status"]) = (mine, "FAILURE");
        var last = await client.CreateAsync(marker);

        var events = await tail.ReadEntriesAsync(2, Patience);
        Assert.Equal(new[] { (string)matching["id"]!, (string)last["id"]! }.Order(), events.Select(e => (string)e.Json["id"]!).Order());
        Assert.All(events, e => Assert.Equal(mine, (string?)e.Json["tenantId"]));
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=AQI", "from")]
    [InlineData("limit=5", "limit")]
    [InlineData("status=MAYBE", "status")]
    [InlineData("actor=bob", "actor")]
    public async Task Bad_parameters_are_refused_before_the_stream_starts(string query, string field)
    {
        using var response = await client.GetAsync($"{TailReader.Path}?{query}");
        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field, messageNamesField: false);
    }

    [Fact]
    public async Task An_idle_tail_sends_heartbeats_and_a_client_that_falls_behind_is_dropped_with_the_reason()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Tail:HeartbeatInterval"] = "00:00:00.200",
            ["Argus:Tail:MaxLag"] = "0",
        });
        await using var tail = await TailReader.OpenAsync(node.Client);

        // Idle: heartbeats only. Then any entry puts the caught-up client behind a lag of 0.
        using var cancel = new CancellationTokenSource(Patience);
        var read = tail.NextAsync(cancel.Token);
        await Eventually.WaitUntilAsync(() => tail.Comments >= 2, "two heartbeats", Patience);
        await node.Client.CreateAsync(AuditJson.Minimal());
        var dropped = await read;

        Assert.NotNull(dropped);
        Assert.Equal("error", dropped.Event);
        Assert.Contains("client too slow", (string?)dropped.Json["error"], StringComparison.Ordinal);
        Assert.Null(await tail.NextAsync(cancel.Token));
    }

    [Fact]
    public async Task A_stopping_node_ends_its_tails_with_the_reason_and_its_stop_does_not_wait_for_them()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        await using var tail = await TailReader.OpenAsync(node.Client);
        using var cancel = new CancellationTokenSource(Patience);
        var read = tail.NextAsync(cancel.Token);

        // An open stream used to hold the stop for the host's whole shutdown timeout, leaving the silo's stop no time.
        var stopped = node.StopAsync();
        var ended = await read;

        Assert.NotNull(ended);
        Assert.Equal("error", ended.Event);
        Assert.Equal(TailApi.StoppingMessage, (string?)ended.Json["error"]);
        Assert.Null(await tail.NextAsync(cancel.Token));
        await stopped.WaitAsync(new Microsoft.Extensions.Hosting.HostOptions().ShutdownTimeout / 2);
    }

    [Fact]
    public void Positions_round_trip_and_anything_else_is_refused()
    {
        long[] seqs = [0, 1, 127, 128, 16_384, long.MaxValue];
        Assert.Equal(seqs, TailPosition.Decode(TailPosition.Encode(seqs), seqs.Length));
        Assert.Null(TailPosition.Decode(TailPosition.Encode(seqs), seqs.Length + 1));
        Assert.Null(TailPosition.Decode(TailPosition.Encode(seqs) + "A", seqs.Length));
        Assert.Null(TailPosition.Decode("!!", seqs.Length));
    }

    /// <summary>
    /// Each event's id is the position after it: from one event to the next the entry's partition
    /// moves forward (others may too, past entries the tail filtered out) and none ever moves back,
    /// so entries arrive in commit order per partition.
    /// </summary>
    private static void AssertOnePartitionAdvancesPerEvent(IReadOnlyList<TailEvent> events)
    {
        long[]? previous = null;
        foreach (var current in events.Select(e => TailPosition.Decode(e.Id!, PartitionCount(e.Id!))!))
        {
            if (previous is not null)
            {
                Assert.All(current.Zip(previous), pair => Assert.True(pair.First >= pair.Second, "a partition moved back"));
                Assert.True(current.Zip(previous).Count(pair => pair.First > pair.Second) >= 1, "no partition moved forward");
            }

            previous = current;
        }
    }

    /// <summary>The partition count a position was written for (its first number).</summary>
    private static int PartitionCount(string id) => System.Buffers.Text.Base64Url.DecodeFromChars(id)[0];

    private static List<JsonObject> Entries(string tenant, int count) => [.. Enumerable.Range(0, count).Select(i =>
    {
        var entry = AuditJson.Minimal();
        entry["tenantId"] = tenant;
        entry["traceId"] = Guid.NewGuid().ToString();
        return entry;
    })];
}
