using System.Net;
using Argus.Grains.Writing;

namespace Argus.Gateway.Tests;

/// <summary>Buffers are bounded: past them callers get 503 with Retry-After, and nothing they were refused is stored.</summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task When_the_writer_is_stuck_and_buffers_are_full_new_entries_get_503_with_retry_after()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Writer:MaxBatchEntries"] = "1",
            ["Argus:Writer:MaxPendingEntries"] = "4",
            ["Argus:Writer:CommitTimeout"] = "00:01:00",
        });
        using var client = node.CreateClient();
        var writer = node.Service<AuditLogWriter>();

        // Hold the fencing table so the writer's first commit waits inside Postgres.
        await using var block = await WriterBlock.HoldAsync(database);

        var accepted = Enumerable.Range(0, 4)
            .Select(i => client.PostAsync("/api/audit-logs", AuditJson.Content(AuditJson.Minimal($"accepted-{i}"))))
            .ToList();
        await Eventually.WaitUntilAsync(() => writer.PendingEntries == 4, "four entries pending behind the blocked commit");

        for (var i = 0; i < 3; i++)
        {
            using var refused = await client.PostAsync("/api/audit-logs", AuditJson.Content(AuditJson.Minimal($"refused-{i}")));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("full", (string?)(await refused.ReadObjectAsync())["error"]);
        }

        await block.ReleaseAsync();
        foreach (var response in await Task.WhenAll(accepted))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Assert.Equal(4L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'accepted-%'"));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id LIKE 'refused-%'"));
        Assert.Equal(0, writer.PendingEntries);
    }
}
