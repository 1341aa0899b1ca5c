using Argus.Grains.Partitions;

namespace Argus.TestInfrastructure;

/// <summary>
/// Several silos (each a full node) in the test process, forming one Orleans cluster whose
/// membership is in one real Postgres database. Waits are on the silos' own ownership signals.
/// </summary>
public sealed class ArgusTestCluster : IAsyncDisposable
{
    private readonly List<ArgusTestNode> silos = [];
    private readonly IDictionary<string, string?> settings;
    private int started;

    private ArgusTestCluster(TestDatabase database, int partitionCount, IDictionary<string, string?>? overrides)
    {
        Database = database;
        PartitionCount = partitionCount;
        settings = new Dictionary<string, string?>
        {
            ["Argus:Silo:PartitionCount"] = partitionCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Argus:Silo:BalanceInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public TestDatabase Database { get; }

    public int PartitionCount { get; }

    public IReadOnlyList<ArgusTestNode> Silos => silos;

    public static async Task<ArgusTestCluster> StartAsync(int silos, int partitionCount = 12, IDictionary<string, string?>? settings = null)
    {
        var cluster = new ArgusTestCluster(await TestPostgres.CreateDatabaseAsync(), partitionCount, settings);
        for (var i = 0; i < silos; i++)
        {
            await cluster.StartSiloAsync();
        }

        await cluster.WaitForStableOwnershipAsync();
        return cluster;
    }

    public async Task<ArgusTestNode> StartSiloAsync()
    {
        var node = await ArgusTestNode.StartAsync(
            Database.ConnectionString,
            new Dictionary<string, string?>(settings) { ["Argus:Silo:Name"] = $"silo-{++started}" },
            waitForAllPartitions: false);
        silos.Add(node);
        return node;
    }

    /// <summary>A gateway-only process in front of the running silos (found through the membership table). The caller disposes it.</summary>
    public Task<ArgusTestNode> StartGatewayAsync(IDictionary<string, string?>? settings = null) => ArgusTestNode.StartAsync(
        Database.ConnectionString,
        new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Argus:Role"] = "Gateway" },
        waitForAllPartitions: false);

    /// <summary>Graceful: the silo commits what it accepted, hands its partitions over and leaves the cluster.</summary>
    public async Task StopSiloAsync(ArgusTestNode silo)
    {
        silos.Remove(silo);
        await silo.DisposeAsync();
    }

    /// <summary>Abrupt: the silo stops without handing anything over; the others find it dead and take its partitions.</summary>
    public async Task KillSiloAsync(ArgusTestNode silo)
    {
        silos.Remove(silo);
        silo.Client.Dispose();
        await silo.KillAsync();
    }

    /// <summary>Partitions each running silo owns, in silo order.</summary>
    public IReadOnlyList<int[]> Ownership() => silos.Select(s => s.OwnedPartitions.ToArray()).ToList();

    /// <summary>The running silo owning <paramref name="partition"/>.</summary>
    public ArgusTestNode OwnerOf(int partition) => silos.Single(s => s.OwnedPartitions.Contains(partition));

    /// <summary>
    /// Waits until every partition is owned by exactly one running silo and each owns at most
    /// ceil(P / silos), re-checking whenever any silo's ownership changes.
    /// </summary>
    public async Task WaitForStableOwnershipAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var signals = silos.Select(s => s.Service<LocalPartitions>().NextChange).ToList();
            var owned = Ownership();
            var target = (PartitionCount + silos.Count - 1) / silos.Count;
            var all = owned.SelectMany(o => o).ToList();
            if (all.Count == PartitionCount && all.Distinct().Count() == PartitionCount && owned.All(o => o.Length <= target))
            {
                return;
            }

            try
            {
                await Task.WhenAny(signals).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"ownership did not settle: {string.Join("; ", silos.Select((s, i) => $"{s.Name} owns [{string.Join(",", owned[i])}]"))}, target {target} each");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in silos.ToList())
        {
            await silo.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
