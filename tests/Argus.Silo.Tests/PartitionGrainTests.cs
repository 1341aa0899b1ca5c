using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Argus.Grains.Storage;
using Argus.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Argus.Silo.Tests;

/// <summary>
/// Partition owners on Orleans' in-process test cluster (its own membership and transport), with
/// Argus's silo services on a real Postgres: placement by the partition assignment, balancing as
/// silos come and go, the fence against an activation left behind, and the silo-wide group commit.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class PartitionGrainTests : IAsyncLifetime
{
    private const int Partitions = 12;
    private TestDatabase database = null!;
    private InProcessTestCluster cluster = null!;

    public async Task InitializeAsync()
    {
        database = await TestPostgres.CreateDatabaseAsync();
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 2);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Argus"] = database.ConnectionString,
                ["Argus:Silo:PartitionCount"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Argus:Silo:BalanceInterval"] = "00:00:00.500",
            });
            host.AddArgusSilo();
        });
        cluster = builder.Build();
        await cluster.DeployAsync();
        await WaitForAssignmentAsync("two silos started");
    }

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Every_partition_is_owned_on_the_silo_its_assignment_names_as_silos_join_and_die()
    {
        AssertOwnedAsAssigned();

        await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        await WaitForAssignmentAsync("a third silo joined");

        await cluster.KillSiloAsync(cluster.Silos[0]);
        await cluster.WaitForLivenessToStabilizeAsync(didKill: true);
        await WaitForAssignmentAsync("the first silo was killed");

        // Every partition was taken over by a new activation each time it moved: epochs only grow.
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM argus_partitions WHERE epoch < 1"));
    }

    [Fact]
    public async Task Appends_to_many_partitions_share_one_commit_and_each_partition_keeps_a_gap_free_sequence()
    {
        var entries = Enumerable.Range(0, 60).Select(i => Entry($"batched-{i}", Guid.NewGuid())).ToList();
        Task<AppendResult[]> appends;
        await using (var block = await WriterBlock.HoldAsync(database))
        {
            appends = Task.WhenAll(entries.Select(e => Owner(e).AppendAsync(e).AsTask()));
            await Eventually.WaitUntilAsync(
                () => cluster.Silos.Sum(s => s.ServiceProvider.GetRequiredService<Argus.Grains.Writing.AuditLogWriter>().PendingEntries) >= 60,
                "the 60 appends waiting behind the blocked commits");
        }

        Assert.All(await appends, r => Assert.Equal(AppendStatus.Stored, r.Status));
        var partitions = await database.ScalarAsync<long>("SELECT count(DISTINCT partition_id) FROM audit_logs WHERE actor_id LIKE 'batched-%'");
        var commits = await database.ScalarAsync<long>("SELECT count(DISTINCT created_at) FROM audit_logs WHERE actor_id LIKE 'batched-%'");
        Assert.True(partitions > 2, $"only {partitions} partitions");

        // Two silos, each with one commit waiting and then one for the rest.
        Assert.InRange(commits, 1L, 4L);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM argus_partitions p WHERE p.last_seq <> (SELECT count(*) FROM audit_logs a WHERE a.partition_id = p.partition_id)"));
    }

    [Fact]
    public async Task An_activation_whose_partition_was_taken_over_answers_not_owner_and_the_next_activation_stores()
    {
        var trace = Guid.NewGuid();
        var owner = Owner(Entry("first", trace));
        Assert.Equal(AppendStatus.Stored, (await owner.AppendAsync(Entry("first", trace))).Status);
        var partition = PartitionHash.PartitionOf(trace, Partitions);

        // Another activation takes the partition over behind this one's back.
        var store = cluster.Silos[0].ServiceProvider.GetRequiredService<AuditStore>();
        var taken = await store.TakeOwnershipAsync(partition, "elsewhere", CancellationToken.None);

        var stale = await owner.AppendAsync(Entry("refused", trace));
        Assert.Equal(AppendStatus.NotOwner, stale.Status);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = 'refused'"));

        // The stale activation deactivated itself; the next call activates a new owner, which stores.
        await Eventually.WaitUntilAsync(async () => (await owner.AppendAsync(Entry("second", trace))).Status == AppendStatus.Stored,
            "an append stored by a new activation", TimeSpan.FromSeconds(10));
        Assert.True(await database.ScalarAsync<long>("SELECT epoch FROM argus_partitions WHERE partition_id = $1", partition) > taken.Epoch);
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT last_seq FROM argus_partitions WHERE partition_id = $1", partition));
    }

    [Fact]
    public async Task An_entry_sent_to_another_partitions_owner_is_refused()
    {
        var entry = Entry("misrouted", Guid.NewGuid());
        var wrong = (PartitionHash.PartitionOf(entry.PartitionKey, Partitions) + 1) % Partitions;
        await Assert.ThrowsAsync<ArgumentException>(() => cluster.Client.GetGrain<IPartitionGrain>(wrong).AppendAsync(entry).AsTask());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs"));
    }

    private IPartitionGrain Owner(AuditEntry entry) =>
        cluster.Client.GetGrain<IPartitionGrain>(PartitionHash.PartitionOf(entry.PartitionKey, Partitions));

    private static AuditEntry Entry(string actor, Guid trace) => new()
    {
        Id = Guid.CreateVersion7(),
        TraceId = trace,
        Timestamp = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero),
        Status = AuditStatus.Success,
        ActorType = ActorType.Service,
        ActorId = actor,
        TargetType = TargetType.Resource,
    };

    /// <summary>Partitions each silo owns right now, with the assignment over the active silos they must match.</summary>
    private (Dictionary<SiloAddress, IReadOnlyList<int>> Owned, Dictionary<SiloAddress, List<int>> Assigned) Ownership()
    {
        var silos = cluster.Silos.Select(s => s.SiloAddress).ToList();
        var owners = PartitionAssignment.Assign(Partitions, silos.Select(s => s.ToParsableString()).ToList());
        var assigned = silos.ToDictionary(s => s, s => Enumerable.Range(0, Partitions).Where(p => silos[owners[p]] == s).ToList());
        var owned = cluster.Silos.ToDictionary(s => s.SiloAddress, s => s.ServiceProvider.GetRequiredService<LocalPartitions>().Owned);
        return (owned, assigned);
    }

    private void AssertOwnedAsAssigned()
    {
        var (owned, assigned) = Ownership();
        foreach (var (silo, partitions) in assigned)
        {
            Assert.Equal(partitions, owned[silo]);
        }
    }

    /// <summary>Waits on the silos' ownership signals until each owns exactly what the assignment gives it.</summary>
    private async Task WaitForAssignmentAsync(string phase)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var signals = cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<LocalPartitions>().NextChange).ToList();
            var (owned, assigned) = Ownership();
            if (assigned.All(a => a.Value.SequenceEqual(owned[a.Key])))
            {
                return;
            }

            try
            {
                await Task.WhenAny(signals).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{phase}: partitions not where assigned: " + string.Join("; ",
                    assigned.Select(a => $"{a.Key} owns [{string.Join(",", owned[a.Key])}], assigned [{string.Join(",", a.Value)}]")));
            }
        }
    }
}
