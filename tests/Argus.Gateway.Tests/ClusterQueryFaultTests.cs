using System.Net;

namespace Argus.Gateway.Tests;

/// <summary>
/// Postgres holds every partition, so an owner that is slow, gone or leaving costs the silo asked
/// some time, never a row: it reads those partitions itself. Without Postgres a read fails with
/// 503, never with a partial page.
/// </summary>
public sealed class ClusterQueryFaultTests
{
    /// <summary>The grain call an owner answers a fanned-out read with.</summary>
    public const string ReadOwned = nameof(Grains.Abstractions.IPartitionGrain) + "." + nameof(Grains.Abstractions.IPartitionGrain.ReadOwnedAsync);

    private const int Entries = 90;

    /// <summary>Settings of silos that read by fan-out (the plan for partitions on different databases), with an owner timeout.</summary>
    public static Dictionary<string, string?> FanOut(string ownerTimeout = "00:00:02") => new()
    {
        ["Argus:Query:Plan"] = "FanOut",
        ["Argus:Query:OwnerTimeout"] = ownerTimeout,
    };

    [Fact]
    public async Task An_owner_that_does_not_answer_in_time_costs_time_not_rows()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12, FanOut("00:00:00.300"));
        using var client = cluster.Silos[0].CreateClient();
        await client.CreateAllAsync(Enumerable.Range(0, Entries).Select(Entry).ToList());
        var slow = cluster.Silos[1];
        var asked = slow.GrainCalls.Arrived(ReadOwned);

        using (slow.GrainCalls.HoldCalls(ReadOwned))
        {
            await AssertPagesExactAsync(cluster, [client]);
        }

        Assert.True(slow.GrainCalls.Arrived(ReadOwned) > asked, "the slow owner was never asked");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Pages_stay_exact_while_an_owner_is_lost_and_its_partitions_move(bool abruptly)
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 3, partitionCount: 12, FanOut());
        var clients = cluster.Silos.Take(2).Select(s => s.CreateClient()).ToList();
        await clients[0].CreateAllAsync(Enumerable.Range(0, Entries).Select(Entry).ToList());
        var leaving = cluster.Silos[2];

        var gone = abruptly ? cluster.KillSiloAsync(leaving) : cluster.StopSiloAsync(leaving);
        var rounds = 0;
        while (!gone.IsCompleted || rounds == 0)
        {
            await AssertPagesExactAsync(cluster, clients);
            rounds++;
        }

        await gone;
        await cluster.WaitForStableOwnershipAsync();
        await AssertPagesExactAsync(cluster, clients);
        clients.ForEach(c => c.Dispose());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_Postgres_a_read_fails_with_503_and_no_page(bool throughGateway)
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        await using var gateway = throughGateway ? await cluster.StartGatewayAsync() : null;
        using var client = (gateway ?? cluster.Silos[0]).CreateClient();
        await client.CreateAllAsync(Enumerable.Range(0, 10).Select(Entry).ToList());

        await using (await PostgresOutage.BeginAsync(cluster.Database))
        {
            using var response = await client.GetAsync($"{AuditApi.Path}?limit=5");

            var body = await response.ReadObjectAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"got {(int)response.StatusCode}: {body.ToJsonString()}");
            Assert.False(string.IsNullOrWhiteSpace((string?)body["error"]));
            Assert.Null(body["logs"]);
            Assert.NotNull(response.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task A_read_that_outlives_the_command_timeout_fails_with_503_naming_the_timeout()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString + ";Command Timeout=1");
        await node.Client.CreateAllAsync(Enumerable.Range(0, 3).Select(Entry).ToList());

        // A session holding the table exclusively: Postgres is up, but no read of it can finish.
        await using var blocker = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        using var response = await node.Client.GetAsync($"{AuditApi.Path}?limit=5");

        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"got {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Contains("command timeout", (string?)body["error"], StringComparison.Ordinal);
        Assert.Null(body["logs"]);
    }

    /// <summary>First, middle and last pages, by offset and by cursor, each equal to one statement over the whole table.</summary>
    private static async Task AssertPagesExactAsync(ArgusTestCluster cluster, IReadOnlyList<HttpClient> clients)
    {
        var all = await cluster.Database.ScalarAsync<string>(
            "SELECT string_agg(id::text, ',' ORDER BY occurred_at DESC, id DESC) FROM audit_logs");
        var expected = all.Split(',');
        Assert.Equal(Entries, expected.Length);
        var asked = 0;
        foreach (var (limit, offset) in new[] { (10, 0), (10, 25), (40, 50), (100, 0) })
        {
            var page = await clients[asked++ % clients.Count].GetPageAsync($"limit={limit}&offset={offset}");
            Assert.Equal(expected.Skip(offset).Take(limit), page.Ids());
            Assert.Equal(Entries, (long)page["total"]!);
        }

        var walked = new List<string>();
        var next = "";
        do
        {
            var page = await clients[asked++ % clients.Count].GetPageAsync($"limit=25{next}");
            walked.AddRange(page.Ids());
            next = page["nextCursor"] is { } cursor ? "&cursor=" + (string)cursor! : "";
        }
        while (next.Length > 0);

        Assert.Equal(expected, walked);
    }

    /// <summary>Standalone entries (spread over every partition), three to a timestamp.</summary>
    private static System.Text.Json.Nodes.JsonObject Entry(int i) =>
        AuditJson.Minimal($"fault-{i % 4}", $"2024-07-01T00:{i / 3 / 60:00}:{i / 3 % 60:00}Z");
}
