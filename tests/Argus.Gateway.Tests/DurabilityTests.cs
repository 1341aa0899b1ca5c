using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>Every acknowledged entry is stored exactly once and stays visible: under concurrency, across restarts, through an outage.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Six_hundred_concurrent_posts_are_each_stored_exactly_once_and_visible()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        using var client = node.CreateClient();
        var traces = Enumerable.Range(0, 60).Select(_ => Guid.NewGuid()).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 600).Select(async i =>
        {
            var entry = AuditJson.Minimal($"concurrent-{i}");
            entry["traceId"] = traces[i % traces.Length].ToString();
            using var response = await client.PostAsync("/api/audit-logs", AuditJson.Content(entry));
            return (response.StatusCode, Body: await response.ReadObjectAsync());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = responses.Select(r => Guid.Parse((string)r.Body["id"]!)).ToHashSet();
        Assert.Equal(600, ids.Count);
        Assert.Equal(600L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs"));
        Assert.Equal(600L, await database.ScalarAsync<long>("SELECT count(DISTINCT id) FROM audit_logs WHERE id = ANY($1)", ids.ToArray()));

        // Visible through the API, trace by trace.
        var seen = new HashSet<Guid>();
        foreach (var trace in traces)
        {
            var page = await (await client.GetAsync($"/api/audit-logs?traceId={trace}&limit=1000")).ReadObjectAsync();
            Assert.Equal(10L, (long)page["total"]!);
            foreach (var log in page["logs"]!.AsArray())
            {
                Assert.True(seen.Add(Guid.Parse((string)log!["id"]!)));
            }
        }

        Assert.True(ids.SetEquals(seen));
        await AssertChainsHaveNoGapsAsync(database);
    }

    [Fact]
    public async Task Entries_survive_a_restart_of_the_node_and_writing_continues_under_a_new_epoch()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var trace = Guid.NewGuid();
        var before = new List<Guid>();
        await using (var node = await ArgusTestNode.StartAsync(database.ConnectionString))
        {
            for (var i = 0; i < 25; i++)
            {
                before.Add(await PostAsync(node.Client, trace, $"before-{i}"));
            }
        }

        var epochsBefore = await database.ScalarAsync<long>("SELECT sum(epoch)::bigint FROM argus_partitions");
        await using var restarted = await ArgusTestNode.StartAsync(database.ConnectionString);
        var page = await (await restarted.Client.GetAsync($"/api/audit-logs?traceId={trace}&limit=1000")).ReadObjectAsync();
        Assert.Equal(before.ToHashSet(), page["logs"]!.AsArray().Select(l => Guid.Parse((string)l!["id"]!)).ToHashSet());

        // The restarted node took every partition again (a new epoch each) and continues each chain.
        Assert.True(await database.ScalarAsync<long>("SELECT sum(epoch)::bigint FROM argus_partitions") > epochsBefore);
        for (var i = 0; i < 25; i++)
        {
            await PostAsync(restarted.Client, trace, $"after-{i}");
        }

        Assert.Equal(50L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE trace_id = $1", trace));
        await AssertChainsHaveNoGapsAsync(database);
    }

    [Fact]
    public async Task While_postgres_refuses_connections_writes_fail_clearly_and_every_acknowledged_entry_is_kept()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Silo:RoutingTimeout"] = "00:00:01",
            ["Argus:Writer:CommitTimeout"] = "00:00:01",
        });
        var trace = Guid.NewGuid();
        var acknowledged = new List<Guid> { await PostAsync(node.Client, trace, "before-outage") };

        await using var outage = await PostgresOutage.BeginAsync(database);

        var health = await node.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("unhealthy", (string?)(await health.ReadObjectAsync())["status"]);

        var during = await node.Client.PostAsync("/api/audit-logs", AuditJson.Content(Entry(trace, "during-outage")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.NotNull(during.Headers.RetryAfter);
        Assert.False(string.IsNullOrEmpty((string?)(await during.ReadObjectAsync())["error"]));

        await outage.EndAsync();
        await node.WaitUntilAllPartitionsOwnedAsync(TimeSpan.FromSeconds(30));

        acknowledged.Add(await PostAsync(node.Client, trace, "after-outage"));
        Assert.Equal(HttpStatusCode.OK, (await node.Client.GetAsync("/health")).StatusCode);
        foreach (var id in acknowledged)
        {
            Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", id));
        }

        await AssertChainsHaveNoGapsAsync(database);
    }

    [Fact]
    public async Task Stopping_the_node_under_load_keeps_every_acknowledged_entry()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        using var client = node.CreateClient();
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var firstAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // 32 writers post until the node goes away; the stop begins once entries are flowing.
        var writers = Enumerable.Range(0, 32).Select(async w =>
        {
            for (var i = 0; ; i++)
            {
                HttpResponseMessage response;
                try
                {
                    response = await client.PostAsync("/api/audit-logs", AuditJson.Content(Entry(Guid.NewGuid(), $"stop-{w}-{i}")));
                }
                catch (HttpRequestException)
                {
                    return; // the node stopped listening
                }

                using (response)
                {
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        return;
                    }

                    acknowledged.Add(Guid.Parse((string)(await response.ReadObjectAsync())["id"]!));
                    firstAcknowledged.TrySetResult();
                }
            }
        }).ToList();

        await firstAcknowledged.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await node.DisposeAsync();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEmpty(acknowledged);
        var stored = await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", acknowledged.ToArray());
        Assert.Equal(acknowledged.Count, stored);
        await AssertChainsHaveNoGapsAsync(database);
    }

    /// <summary>
    /// Each partition's stored sequence is 1..last_seq with no gap and no repeat, and its hash chain
    /// holds from the first entry to the recorded head (no fork, whatever the fault).
    /// </summary>
    internal static async Task AssertChainsHaveNoGapsAsync(TestDatabase database)
    {
        var broken = await database.ScalarAsync<long>("""
            SELECT count(*) FROM argus_partitions p
            WHERE p.last_seq <> (SELECT count(*) FROM audit_logs a WHERE a.partition_id = p.partition_id)
               OR p.last_seq <> coalesce((SELECT max(seq) FROM audit_logs a WHERE a.partition_id = p.partition_id), 0)
            """);
        Assert.Equal(0L, broken);

        await using var dataSource = Npgsql.NpgsqlDataSource.Create(database.ConnectionString);
        var problems = new List<string>();
        await new Grains.Integrity.ChainVerifier(dataSource, key: null).VerifyAsync(
            null, partition => Task.Run(() => problems.AddRange(partition.Problems.Select(p => p.ToString()))), progress: null, CancellationToken.None);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static JsonObject Entry(Guid trace, string actor)
    {
        var entry = AuditJson.Minimal(actor);
        entry["traceId"] = trace.ToString();
        return entry;
    }

    private static async Task<Guid> PostAsync(HttpClient client, Guid trace, string actor)
    {
        using var response = await client.PostAsync("/api/audit-logs", AuditJson.Content(Entry(trace, actor)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Guid.Parse((string)(await response.ReadObjectAsync())["id"]!);
    }
}
