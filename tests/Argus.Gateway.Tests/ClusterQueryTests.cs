using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Argus.Grains;
using Argus.Grains.Abstractions.Partitioning;

namespace Argus.Gateway.Tests;

/// <summary>
/// GET /api/audit-logs on three silos reading by fan-out: the silo asked reads its own partitions,
/// asks each other owner for theirs and merges. Every page, total and cursor walk must be exactly
/// what one SQL statement over the whole table gives, whichever silo or gateway is asked, with
/// many entries sharing a timestamp so that the id decides much of the order.
/// </summary>
public sealed class ClusterQueryTests(ClusterQueryTests.Data data) : IClassFixture<ClusterQueryTests.Data>
{
    private static readonly Guid[] Traces = [.. Enumerable.Range(1, 4).Select(i => Guid.Parse($"00000000-0000-4000-8000-00000000000{i}"))];

    /// <summary>Filters as the API takes them, and the same filters as a hand-written WHERE clause for the oracle.</summary>
    public static TheoryData<string, string> Filters => new()
    {
        { "", "TRUE" },
        { "eventType=LOGIN", "event_type = 'LOGIN'" },
        { "status=FAILURE", "status = 'FAILURE'" },
        { "actorId=actor-3&eventType=EXPORT", "actor_id = 'actor-3' AND event_type = 'EXPORT'" },
        { "actorType=ADMIN&eventAction=READ", "actor_type = 'ADMIN' AND event_action = 'READ'" },
        { "targetType=SERVICE&targetId=target-2", "target_type = 'SERVICE' AND target_id = 'target-2'" },
        { "since=2024-05-01T10:00:03Z&until=2024-05-01T10:00:08.5Z", "occurred_at >= '2024-05-01T10:00:03Z' AND occurred_at < '2024-05-01T10:00:08.5Z'" },
        { $"traceId={Traces[1]}", $"trace_id = '{Traces[1]}'" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Offset_pages_and_totals_equal_one_statement_over_the_whole_table(string filter, string where)
    {
        var total = await data.Cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM audit_logs WHERE {where}");
        Assert.True(total > 0, $"no entry matches {filter}");
        var asked = 0;
        foreach (var limit in new[] { 1, 7, 50, 1000 })
        {
            foreach (var offset in new[] { 0, 1, 6, 7, 49, 120, (int)total - 1, (int)total, (int)total + 5 }.Where(o => o >= 0).Distinct())
            {
                var client = data.Clients[asked++ % data.Clients.Count];
                var page = await client.GetPageAsync($"{filter}&limit={limit}&offset={offset}");

                var expected = await OracleAsync(where, limit, offset);
                Assert.True(expected == string.Join(",", page.Ids()), $"{filter} limit {limit} offset {offset} via {client.BaseAddress}");
                Assert.Equal(total, (long)page["total"]!);
                Assert.Equal(offset, (int)page["offset"]!);
                Assert.Equal(offset + limit < total, page["nextCursor"] is not null);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Following_next_cursors_visits_every_match_once_in_order(string filter, string where)
    {
        var expected = await OracleAsync(where, int.MaxValue, 0);
        var total = await data.Cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM audit_logs WHERE {where}");

        var walked = new List<string>();
        var page = await data.Clients[0].GetPageAsync($"{filter}&limit=7");
        walked.AddRange(page.Ids());
        for (var i = 1; page["nextCursor"] is { } next; i++)
        {
            // Each page from another silo, or the gateway: any of them continues any cursor.
            page = await data.Clients[i % data.Clients.Count].GetPageAsync($"{filter}&limit=7&cursor={(string)next!}");
            Assert.Null(page["total"]);
            Assert.False(page.ContainsKey("offset"), "a cursor page says where it is by its cursor, not an offset");
            walked.AddRange(page.Ids());
        }

        Assert.Equal(expected, string.Join(",", walked));
        Assert.Equal(total, walked.Count);

        // A cursor page counts only when asked to, and then counts every match of the filters.
        var first = await data.Clients[1].GetPageAsync($"{filter}&limit=3");
        if (first["nextCursor"] is { } cursor)
        {
            var counted = await data.Clients[2].GetPageAsync($"{filter}&limit=3&cursor={(string)cursor!}&includeTotal=true");
            Assert.Equal(total, (long)counted["total"]!);
        }
    }

    [Fact]
    public async Task A_cursor_walk_visits_every_entry_once_while_entries_are_appended()
    {
        var actor = "walker-" + Guid.NewGuid().ToString("N");
        var existing = await data.Clients[0].CreateAllAsync(
            Enumerable.Range(0, 150).Select(i => AuditJson.Minimal(actor, $"2024-06-01T00:00:{i % 30:00}Z")).ToList());
        var appended = new ConcurrentDictionary<string, bool>();
        var progress = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();

        // Entries keep arriving through every silo, some newer and some older than the walk's position.
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var created = await data.Clients[i % 3].CreateAsync(AuditJson.Minimal(actor, $"2024-06-01T00:00:{i * 7 % 30:00}.5Z"));
                appended[(string)created["id"]!] = true;
                progress.Release();
            }
        });

        var walked = new List<JsonObject>();
        var page = await data.Clients[0].GetPageAsync($"actorId={actor}&limit=5");
        walked.AddRange(page["logs"]!.AsArray().Select(e => e!.AsObject()));
        for (var i = 1; page["nextCursor"] is { } next; i++)
        {
            await progress.WaitAsync(); // at least one entry appended between any two pages
            page = await data.Clients[i % data.Clients.Count].GetPageAsync($"actorId={actor}&limit=5&cursor={(string)next!}");
            walked.AddRange(page["logs"]!.AsArray().Select(e => e!.AsObject()));
        }

        await stop.CancelAsync();
        await writer;

        var ids = walked.Select(e => (string)e["id"]!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Superset(existing.Select(e => (string)e["id"]!).ToHashSet(), ids.ToHashSet());
        Assert.Subset(existing.Select(e => (string)e["id"]!).Concat(appended.Keys).ToHashSet(), ids.ToHashSet());
        Assert.Equal(walked, walked.InApiOrder());
        Assert.True(appended.Count >= 30, $"only {appended.Count} entries were appended during the walk");
    }

    [Fact]
    public async Task An_offset_page_continues_by_its_cursor_exactly_where_the_next_offset_page_would()
    {
        var offsetPage = await data.Clients[0].GetPageAsync("eventType=EXPORT&limit=20&offset=40");
        var byOffset = await data.Clients[1].GetPageAsync("eventType=EXPORT&limit=20&offset=60");
        var byCursor = await data.Clients[2].GetPageAsync($"eventType=EXPORT&limit=20&cursor={(string)offsetPage["nextCursor"]!}");

        Assert.Equal(byOffset.Ids(), byCursor.Ids());
        Assert.Equal(20, byCursor.Ids().Count);
    }

    [Fact]
    public async Task The_silo_asked_merges_what_the_other_owners_answer_for_their_partitions()
    {
        var before = data.Cluster.Silos.Select(s => s.GrainCalls.Arrived(ClusterQueryFaultTests.ReadOwned)).ToList();

        var page = await data.Clients[0].GetPageAsync("limit=100");

        var after = data.Cluster.Silos.Select(s => s.GrainCalls.Arrived(ClusterQueryFaultTests.ReadOwned)).ToList();
        Assert.Equal(before[0], after[0]);
        Assert.Equal([before[1] + 1, before[2] + 1], after.Skip(1));
        Assert.Equal(await OracleAsync("TRUE", 100, 0), string.Join(",", page.Ids()));
    }

    [Fact]
    public async Task A_page_deeper_than_the_owners_send_keys_for_is_read_by_the_silo_asked_alone()
    {
        var actor = "deep-" + Guid.NewGuid().ToString("N");
        var count = QueryGrain.MaxMergedKeys + 150;
        await data.Clients[0].CreateAllAsync(
            Enumerable.Range(0, count).Select(i => AuditJson.Minimal(actor, $"2024-07-02T00:{i / 60 % 60:00}:{i % 60:00}Z")).ToList(), parallelism: 64);
        var where = $"actor_id = '{actor}'";

        foreach (var (limit, offset, fannedOut) in new[]
        {
            (100, QueryGrain.MaxMergedKeys - 101, true),
            (100, QueryGrain.MaxMergedKeys - 100, false),
            (1000, QueryGrain.MaxMergedKeys - 500, false),
            (50, count - 20, false),
        })
        {
            var before = data.Cluster.Silos.Sum(s => s.GrainCalls.Arrived(ClusterQueryFaultTests.ReadOwned));
            var page = await data.Clients[1].GetPageAsync($"actorId={actor}&limit={limit}&offset={offset}");

            Assert.Equal(await OracleAsync(where, limit, offset), string.Join(",", page.Ids()));
            Assert.Equal(count, (long)page["total"]!);
            Assert.Equal(offset + limit < count, page["nextCursor"] is not null);
            Assert.Equal(fannedOut, data.Cluster.Silos.Sum(s => s.GrainCalls.Arrived(ClusterQueryFaultTests.ReadOwned)) > before);
        }
    }

    [Fact]
    public async Task A_trace_is_read_from_its_partition_only()
    {
        var partition = PartitionHash.PartitionOf(Traces[2], data.Cluster.PartitionCount);
        var owner = data.Cluster.Ownership().Select((owned, i) => (owned, i)).Single(o => o.owned.Contains(partition)).i;
        var before = data.Cluster.Silos.Select(s => s.GrainCalls.Arrived(ClusterQueryFaultTests.ReadOwned)).ToList();

        foreach (var client in data.Clients)
        {
            var page = await client.GetPageAsync($"traceId={Traces[2]}&limit=1000");
            Assert.Equal(await OracleAsync($"trace_id = '{Traces[2]}'", 1000, 0), string.Join(",", page.Ids()));
        }

        // Only its owner is asked: by the two other silos, and by the silo the gateway chose unless that was the owner.
        var asked = data.Cluster.Silos.Select((s, i) => s.GrainCalls.Arrived(ClusterQueryFaultTests.ReadOwned) - before[i]).ToList();
        Assert.InRange(asked[owner], 2, 3);
        Assert.Equal(asked[owner], asked.Sum());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task Cursors_are_checked_by_the_silos_and_refusals_reach_the_caller_as_400(int via)
    {
        var client = data.Clients[via];
        var cursor = (string)(await client.GetPageAsync("eventType=LOGIN&limit=5"))["nextCursor"]!;
        var forged = cursor[..10] + (cursor[10] == 'A' ? 'B' : 'A') + cursor[11..];

        foreach (var (query, why) in new[]
        {
            ($"eventType=LOGIN&cursor={forged}", "forged"),
            ($"eventType=LOGIN&cursor={cursor[..^2]}", "truncated"),
            ("eventType=LOGIN&cursor=not-a-cursor", "malformed"),
            ($"eventType=EXPORT&cursor={cursor}", "other filters"),
            ($"cursor={cursor}", "filters dropped"),
            ($"eventType=LOGIN&cursor={cursor}&offset=5", "with an offset"),
        })
        {
            using var response = await client.GetAsync($"{AuditApi.Path}?{query}");
            var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "cursor");
            Assert.False(string.IsNullOrEmpty(error), why);
        }
    }

    /// <summary>The ids of the oracle's page, comma-separated: the statement a person would write.</summary>
    private Task<string> OracleAsync(string where, int limit, int offset) => data.Cluster.Database.ScalarAsync<string>(
        $"SELECT coalesce(string_agg(id::text, ',' ORDER BY occurred_at DESC, id DESC), '') FROM " +
        $"(SELECT id, occurred_at FROM audit_logs WHERE {where} ORDER BY occurred_at DESC, id DESC LIMIT {limit} OFFSET {offset}) page");

    /// <summary>
    /// 360 entries on three silos (12 partitions): twelve seconds with two timestamps each, so
    /// fifteen entries share every timestamp; some on four traces, most standalone, so they
    /// spread over every partition. Also a gateway-only node in front of the silos.
    /// </summary>
    public sealed class Data : IAsyncLifetime
    {
        public ArgusTestCluster Cluster { get; private set; } = null!;

        public ArgusTestNode Gateway { get; private set; } = null!;

        /// <summary>Clients of silo 1, 2 and 3, then of the gateway.</summary>
        public List<HttpClient> Clients { get; } = [];

        public async Task InitializeAsync()
        {
            Cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12, ClusterQueryFaultTests.FanOut());
            Gateway = await Cluster.StartGatewayAsync();
            Clients.AddRange(Cluster.Silos.Select(s => s.CreateClient()));
            Clients.Add(Gateway.CreateClient());

            var entries = Enumerable.Range(0, 360).Select(Entry).ToList();
            var acknowledged = new ConcurrentBag<string>();
            await Task.WhenAll(Enumerable.Range(0, 3).Select(async silo =>
            {
                var mine = entries.Where((_, i) => i % 3 == silo).ToList();
                foreach (var created in await Clients[silo].CreateAllAsync(mine))
                {
                    acknowledged.Add((string)created["id"]!);
                }
            }));
            Assert.Equal(360, acknowledged.Distinct().Count());
        }

        public async Task DisposeAsync()
        {
            Clients.ForEach(c => c.Dispose());
            await Gateway.DisposeAsync();
            await Cluster.DisposeAsync();
        }

        private static JsonObject Entry(int i)
        {
            var entry = AuditJson.Minimal($"actor-{i % 7}", $"2024-05-01T10:00:{i % 12:00}.{(i % 24 < 12 ? "0" : "5")}Z");
            if (i % 3 != 2)
            {
                entry["eventType"] = i % 3 == 0 ? "LOGIN" : "EXPORT";
            }

            entry["eventAction"] = new[] { "CREATE", "READ", "UPDATE", "DELETE" }[i % 4];
            entry["status"] = i % 5 == 0 ? "FAILURE" : "SUCCESS";
            entry["actorType"] = i % 2 == 0 ? "SERVICE" : "ADMIN";
            entry["targetType"] = i % 4 == 1 ? "SERVICE" : "RESOURCE";
            if (i % 4 != 0)
            {
                entry["targetId"] = $"target-{i % 3}";
            }

            if (i % 5 == 1)
            {
                entry["traceId"] = Traces[i % 4].ToString();
            }

            return entry;
        }
    }
}
