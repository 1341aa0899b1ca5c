namespace Argus.Gateway.Tests;

/// <summary>A forwarder's progress survives SIGKILL of a silo running its lanes: afterwards every acknowledged entry has reached the receiver.</summary>
[Trait("Category", "Cluster")]
public sealed class ForwarderProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task After_a_silo_is_killed_under_load_every_acknowledged_entry_reaches_the_receiver()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var settings = new Dictionary<string, string>
        {
            ["Argus:Silo:PartitionCount"] = "12",
            ["Argus:Forwarders:siem:Url"] = receiver.Url.ToString(),
            ["Argus:Forwarders:siem:From"] = "beginning",
            ["Argus:Forwarders:siem:BatchSize"] = "50",
        };
        await using var first = await SiloProcess.StartAsync("silo-1", database.ConnectionString, settings);
        await using var second = await SiloProcess.StartAsync("silo-2", database.ConnectionString, settings);
        await Eventually.WaitUntilAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM argus_forwarder_positions") == 12,
            "every partition's lane started", Patience);

        await using (var load = IngestLoad.Start(first.Client, writers: 8, "forwarded"))
        {
            await load.WaitForMoreAsync(300, Patience, "before the kill");
            await second.KillAsync();
            await load.WaitForMoreAsync(300, Patience, "after the kill");
            await load.StopAsync();

            var acknowledged = load.Acknowledged.ToHashSet();
            await Eventually.WaitUntilAsync(() => acknowledged.IsSubsetOf(receiver.Received),
                $"all {acknowledged.Count} acknowledged entries at the receiver", Patience);
            // Anything more it was sent was committed too (in flight when the load stopped).
            var received = receiver.Received.Distinct().ToArray();
            Assert.Equal((long)received.Length, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", received));
        }
    }
}
