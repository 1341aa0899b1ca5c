namespace Argus.Gateway.Tests;

/// <summary>
/// The committed log's stream provider: every partition has a receiver, and its consumer group's
/// checkpoint follows delivery to the head; a node started again on the same database resumes from
/// the checkpoints (they never move back) and the stream goes on delivering.
/// </summary>
public sealed class LogStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string CheckpointsBehind =
        "SELECT count(*) FROM argus_partitions p LEFT JOIN argus_stream_checkpoints c ON c.partition_id = p.partition_id AND c.provider = 'argus-log' " +
        "WHERE c.seq IS DISTINCT FROM p.last_seq";

    [Fact]
    public async Task Checkpoints_follow_delivery_to_the_heads_and_survive_a_restart()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        long[] before;
        await using (var node = await ArgusTestNode.StartAsync(database.ConnectionString))
        {
            await node.Client.CreateAllAsync([.. Enumerable.Range(0, 80).Select(_ => WithTrace(AuditJson.Minimal()))]);
            await Eventually.WaitUntilAsync(async () => await database.ScalarAsync<long>(CheckpointsBehind) == 0,
                "every partition's checkpoint at its head", Patience);
            before = await database.ScalarAsync<long[]>("SELECT array_agg(seq ORDER BY partition_id) FROM argus_stream_checkpoints");
            Assert.True(before.Sum() >= 80, string.Join(",", before));
        }

        await using var again = await ArgusTestNode.StartAsync(database.ConnectionString);
        await using var tail = await TailReader.OpenAsync(again.Client);
        var entry = await again.Client.CreateAsync(WithTrace(AuditJson.Minimal()));
        var seen = await tail.ReadEntriesAsync(1, Patience);

        Assert.Equal((string?)entry["id"], (string?)seen[0].Json["id"]);
        await Eventually.WaitUntilAsync(async () => await database.ScalarAsync<long>(CheckpointsBehind) == 0,
            "the checkpoints at the heads again", Patience);
        var after = await database.ScalarAsync<long[]>("SELECT array_agg(seq ORDER BY partition_id) FROM argus_stream_checkpoints");
        Assert.All(after.Zip(before), pair => Assert.True(pair.First >= pair.Second));
        Assert.Equal(before.Sum() + 1, after.Sum());
    }

    private static System.Text.Json.Nodes.JsonObject WithTrace(System.Text.Json.Nodes.JsonObject entry)
    {
        entry["traceId"] = Guid.NewGuid().ToString();
        return entry;
    }
}
