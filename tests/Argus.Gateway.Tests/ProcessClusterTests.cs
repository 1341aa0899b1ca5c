using System.Diagnostics;
using System.Net;
using Argus.Grains.Abstractions.Partitioning;
using Xunit.Abstractions;

namespace Argus.Gateway.Tests;

/// <summary>
/// Silos as real processes on one Postgres, with Orleans' membership in it, under continuous
/// ingest: one is killed (SIGKILL), frozen (SIGSTOP: its sockets stay open and calls to it hang),
/// stopped (SIGTERM), or joins. Every acknowledged entry is stored exactly once, no partition's
/// sequence has a gap, and the lost silo's partitions are served again within seconds.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ProcessClusterTests(ITestOutputHelper output)
{
    private const int Partitions = 24;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_silo_killed_under_ingest_has_its_partitions_served_again_within_ten_seconds_and_loses_nothing(bool throughGateway)
    {
        await using var run = await LoadedCluster.StartAsync(silos: 3, throughGateway, "sigkill");
        var victim = run.Silos[2];
        var orphaned = await run.PartitionsOwnedByAsync(victim);

        await victim.KillAsync();
        var served = await run.TimeUntilServedAsync(orphaned);
        await run.FinishAsync("after the kill");

        output.WriteLine($"SIGKILL{Via(throughGateway)}: {orphaned.Count} partitions served again {served.TotalSeconds:F2} s after the kill; refused meanwhile: {run.Load.Refused.Count}");
        Assert.True(served < TimeSpan.FromSeconds(10), $"the killed silo's partitions took {served} to be served again");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_frozen_silo_is_declared_dead_its_partitions_served_elsewhere_and_when_it_wakes_it_ends_itself(bool throughGateway)
    {
        await using var run = await LoadedCluster.StartAsync(silos: 3, throughGateway, "sigstop");
        var victim = run.Silos[2];
        var orphaned = await run.PartitionsOwnedByAsync(victim);

        await victim.FreezeAsync();
        var served = await run.TimeUntilServedAsync(orphaned);
        await run.Load.WaitForMoreAsync(300, TimeSpan.FromSeconds(60), "while the silo is frozen");

        // Woken up, it learns the others declared it dead and ends itself: it cannot commit anything anyway (fenced).
        await victim.ThawAsync();
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await run.FinishAsync("after it woke");

        output.WriteLine($"SIGSTOP{Via(throughGateway)}: {orphaned.Count} partitions served again {served.TotalSeconds:F2} s after the freeze; refused meanwhile: {run.Load.Refused.Count}");
        Assert.True(served < TimeSpan.FromSeconds(15), $"the frozen silo's partitions took {served} to be served again");
    }

    [Fact]
    public async Task A_silo_stopped_gracefully_under_ingest_hands_its_partitions_over_and_loses_nothing()
    {
        await using var run = await LoadedCluster.StartAsync(silos: 3, throughGateway: false, "sigterm");
        var leaving = run.Silos[2];
        var handedOver = await run.PartitionsOwnedByAsync(leaving);

        await leaving.StopAsync(TimeSpan.FromSeconds(30));
        var served = await run.TimeUntilServedAsync(handedOver);
        await run.FinishAsync("after the stop");

        output.WriteLine($"SIGTERM: {handedOver.Count} partitions served again {served.TotalSeconds:F2} s after the stop ended; refused meanwhile: {run.Load.Refused.Count}");
        Assert.Empty(await run.PartitionsOwnedByAsync(leaving));
    }

    [Fact]
    public async Task A_silo_joining_under_ingest_takes_its_share_and_nothing_is_lost()
    {
        await using var run = await LoadedCluster.StartAsync(silos: 2, throughGateway: false, "join");

        var joined = Stopwatch.StartNew();
        var newcomer = await run.StartSiloAsync();
        await Eventually.WaitUntilAsync(
            async () => (await run.PartitionsOwnedByAsync(newcomer)).Count == Partitions / 3
                && (await run.PartitionsOwnedByAsync(run.Silos[0])).Count == Partitions / 3,
            "the new silo owning its third of the partitions", TimeSpan.FromSeconds(30));
        output.WriteLine($"join: the new silo owned its {Partitions / 3} partitions {joined.Elapsed.TotalSeconds:F2} s after its process started");
        await run.FinishAsync("after the join");
    }

    private static string Via(bool throughGateway) => throughGateway ? " (through a gateway)" : "";

    /// <summary>
    /// Silo processes (and a gateway process) on a database of their own, with 16 writers posting
    /// through the first silo or the gateway; 300 entries are acknowledged before a test acts.
    /// </summary>
    private sealed class LoadedCluster : IAsyncDisposable
    {
        private readonly TestDatabase database;
        private readonly List<SiloProcess> silos = [];
        private SiloProcess? gateway;

        private LoadedCluster(TestDatabase database) => this.database = database;

        public IReadOnlyList<SiloProcess> Silos => silos;

        public IngestLoad Load { get; private set; } = null!;

        private SiloProcess Entry => gateway ?? silos[0];

        public static async Task<LoadedCluster> StartAsync(int silos, bool throughGateway, string actor)
        {
            var run = new LoadedCluster(await TestPostgres.CreateDatabaseAsync());
            try
            {
                for (var n = 0; n < silos; n++)
                {
                    await run.StartSiloAsync();
                }

                // Every partition owned, each silo with its share (ceil(P / silos) at most).
                await Eventually.WaitUntilAsync(async () =>
                {
                    var counts = await Task.WhenAll(run.silos.Select(run.PartitionsOwnedByAsync));
                    return counts.Sum(c => c.Count) == Partitions && counts.All(c => c.Count <= (Partitions + silos - 1) / silos);
                }, $"{silos} silos sharing the {Partitions} partitions", TimeSpan.FromSeconds(60));
                if (throughGateway)
                {
                    run.gateway = await SiloProcess.StartAsync("gateway", run.database.ConnectionString, new Dictionary<string, string> { ["Argus:Role"] = "Gateway" });
                }

                run.Load = IngestLoad.Start(run.Entry.Client, writers: 16, actor);
                await run.Load.WaitForMoreAsync(300, TimeSpan.FromSeconds(60), "before the fault");
                return run;
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }
        }

        public async Task<SiloProcess> StartSiloAsync()
        {
            var silo = await SiloProcess.StartAsync($"silo-{silos.Count + 1}", database.ConnectionString,
                new Dictionary<string, string> { ["Argus:Silo:PartitionCount"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            silos.Add(silo);
            return silo;
        }

        /// <summary>The partitions whose current owner is an activation on <paramref name="silo"/> (its address is 127.0.0.1:port@generation).</summary>
        public async Task<IReadOnlyList<int>> PartitionsOwnedByAsync(SiloProcess silo) => await database.ScalarAsync<int[]>(
            "SELECT coalesce(array_agg(partition_id ORDER BY partition_id), '{}') FROM argus_partitions WHERE owner LIKE $1",
            $"127.0.0.1:{silo.SiloPort}@%");

        /// <summary>From now until an entry on each of <paramref name="partitions"/> is acknowledged through the entry process.</summary>
        public async Task<TimeSpan> TimeUntilServedAsync(IReadOnlyList<int> partitions)
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(partitions.Select(async partition =>
            {
                var trace = Guid.NewGuid();
                while (PartitionHash.PartitionOf(trace, Partitions) != partition)
                {
                    trace = Guid.NewGuid();
                }

                while (true)
                {
                    var body = AuditJson.Minimal($"probe-{partition}");
                    body["traceId"] = trace.ToString();
                    using var response = await Entry.Client.PostAsync(AuditApi.Path, AuditJson.Content(body));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        return;
                    }

                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"partition {partition} still not served: {(int)response.StatusCode}");
                }
            }));
            return clock.Elapsed;
        }

        /// <summary>
        /// Lets 300 more entries be acknowledged, stops the load, and checks: every acknowledged
        /// entry stored once, no sequence gap, and every refusal a retryable 503.
        /// </summary>
        public async Task FinishAsync(string phase)
        {
            await Load.WaitForMoreAsync(300, TimeSpan.FromSeconds(60), phase);
            await Load.StopAsync();
            await Load.AssertStoredExactlyOnceAsync(database);
            await DurabilityTests.AssertChainsHaveNoGapsAsync(database);
            var unexpected = Load.Refused.Where(r => !r.StartsWith("503", StringComparison.Ordinal)).ToList();
            Assert.True(unexpected.Count == 0, $"refusals other than 503: {string.Join(" | ", unexpected.Take(3))}; the entry process's log:\n{Entry.Output}");
        }

        public async ValueTask DisposeAsync()
        {
            if (Load is not null)
            {
                await Load.DisposeAsync();
            }

            if (gateway is not null)
            {
                await gateway.DisposeAsync();
            }

            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }

            await database.DisposeAsync();
        }
    }
}
