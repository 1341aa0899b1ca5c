using Argus.Grains.Streams;
using Argus.Silo;
using Npgsql;

namespace Argus.TestInfrastructure;

/// <summary>
/// Several silos (each a full node) in the test process, sharing one real Postgres database,
/// with fast membership and ownership timers. Waits are on the silos' own ownership signals.
/// </summary>
public sealed class ArgusTestCluster : IAsyncDisposable
{
    private readonly List<ArgusTestNode> silos = [];
    private readonly Dictionary<ArgusTestNode, string> ids = [];
    private readonly IDictionary<string, string?> settings;
    private int started;

    private ArgusTestCluster(TestDatabase database, int partitionCount, IDictionary<string, string?>? overrides)
    {
        Database = database;
        PartitionCount = partitionCount;
        settings = new Dictionary<string, string?>
        {
            ["Argus:Silo:PartitionCount"] = partitionCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Argus:Silo:HeartbeatInterval"] = "00:00:00.200",
            ["Argus:Silo:DeathTimeout"] = "00:00:02",
            ["Argus:Silo:OwnershipCheckInterval"] = "00:00:00.200",
            // Silos talk to one another over their HTTP/2 internal endpoints, as in production.
            ["Argus:Silo:InternalUrl"] = "http://127.0.0.1:0",
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
        var id = $"silo-{++started}";
        var node = await ArgusTestNode.StartAsync(
            Database.ConnectionString,
            new Dictionary<string, string?>(settings) { ["Argus:Silo:SiloId"] = id },
            waitForAllPartitions: false);
        silos.Add(node);
        ids[node] = id;
        return node;
    }

    public string IdOf(ArgusTestNode silo) => ids[silo];

    /// <summary>The address a silo published for its peers (its h2c:// internal endpoint).</summary>
    public static string PublishedAddressOf(ArgusTestNode silo) =>
        silo.Service<Argus.Silo.Membership.SiloMembership>().PublishedAddress ?? throw new InvalidOperationException("address not published");

    /// <summary>A gateway-only process in front of the running silos (they are its seeds). The caller disposes it.</summary>
    public Task<ArgusTestNode> StartGatewayAsync() => ArgusTestNode.StartAsync(
        Database.ConnectionString,
        new Dictionary<string, string?>
        {
            ["Argus:Role"] = "gateway",
            ["Argus:Cluster:Seeds"] = string.Join(",", silos.Select(PublishedAddressOf)),
        },
        waitForAllPartitions: false);

    /// <summary>Graceful: the silo answers what it accepted, releases its partitions and says it is dead.</summary>
    public async Task StopSiloAsync(ArgusTestNode silo)
    {
        silos.Remove(silo);
        await silo.DisposeAsync();
    }

    /// <summary>
    /// Abrupt, as Postgres sees a crash: every connection of the silo is dropped at once (so its
    /// locks go), and the silo stops without a chance to release anything.
    /// </summary>
    public async Task KillSiloAsync(ArgusTestNode silo)
    {
        silos.Remove(silo);
        await DropConnectionsAsync(silo);
        await silo.DisposeAsync();
    }

    /// <summary>Drops every Postgres connection of a silo that keeps running: it becomes a zombie until it notices.</summary>
    public async Task DropConnectionsAsync(ArgusTestNode silo)
    {
        await using var admin = new NpgsqlConnection(TestPostgres.ServerConnectionString);
        await admin.OpenAsync();
        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND application_name IN ($2, $3)", admin);
        terminate.Parameters.Add(new NpgsqlParameter { Value = Database.Name });
        terminate.Parameters.Add(new NpgsqlParameter { Value = "argus-silo:" + IdOf(silo) });
        terminate.Parameters.Add(new NpgsqlParameter { Value = "argus-locks:" + IdOf(silo) });
        await terminate.ExecuteScalarAsync();
    }

    /// <summary>Partitions each running silo owns, in silo order.</summary>
    public IReadOnlyList<int[]> Ownership() =>
        silos.Select(s => s.Service<PartitionStreams>().All.Where(p => p.IsOwned).Select(p => p.Partition).ToArray()).ToList();

    /// <summary>
    /// Waits until every partition is owned by exactly one running silo and each owns at most
    /// ceil(P / silos), re-checking whenever any silo's ownership changes.
    /// </summary>
    public async Task WaitForStableOwnershipAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var signals = silos.Select(s => s.Service<SiloState>().NextOwnershipChange).ToList();
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
                    $"ownership did not settle: {string.Join("; ", silos.Select((s, i) => $"{IdOf(s)} owns [{string.Join(",", owned[i])}]"))}, target {target} each");
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
