using Argus.Grains.Abstractions.Partitioning;
using Npgsql;

namespace Argus.Silo.Routing;

/// <summary>
/// The grain directory: which live silo owns each partition, read from Postgres (the owner
/// column a silo writes when it takes a partition, joined with the live silos' addresses) and
/// cached until a caller finds it wrong (a 421, a refused connection) and invalidates it.
/// </summary>
internal sealed class PartitionDirectory(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private volatile Snapshot? current;

    /// <summary>The address of the silo owning <paramref name="partition"/>, or null when no live silo owns it.</summary>
    public async ValueTask<string?> OwnerOfAsync(int partition, CancellationToken cancellationToken) =>
        (await OwnersAsync(cancellationToken)).GetValueOrDefault(partition);

    /// <summary>Partition -> address of the live silo owning it (cached like <see cref="OwnerOfAsync"/>); a partition absent has no live owner.</summary>
    public async ValueTask<IReadOnlyDictionary<int, string>> OwnersAsync(CancellationToken cancellationToken)
    {
        var snapshot = current is { } cached && time.GetElapsedTime(cached.ReadAt) <= MaxAge
            ? cached
            : await ReadAsync(cancellationToken);
        return snapshot.Owners;
    }

    /// <summary>Partitions that no live silo owns right now.</summary>
    public async Task<int> CountUnownedAsync(int partitionCount, CancellationToken cancellationToken)
    {
        var snapshot = await ReadAsync(cancellationToken);
        return partitionCount - snapshot.Owners.Count;
    }

    /// <summary>The current map, read afresh (what gateways and clients cache).</summary>
    public async Task<PartitionMap> ReadMapAsync(int partitionCount, CancellationToken cancellationToken)
    {
        var snapshot = await ReadAsync(cancellationToken);
        var owners = new string?[partitionCount];
        foreach (var (partition, address) in snapshot.Owners)
        {
            owners[partition] = address;
        }

        return new PartitionMap(partitionCount, owners);
    }

    /// <summary>Forgets the cached map; the next lookup reads it again.</summary>
    public void Invalidate() => current = null;

    /// <summary>Reads the map from Postgres and caches it.</summary>
    private async Task<Snapshot> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT p.partition_id, s.address FROM argus_partitions p JOIN argus_silos s ON s.silo_id = p.owner " +
            "WHERE s.status IN ('joining', 'active') AND s.address <> ''");
        var owners = new Dictionary<int, string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            owners[reader.GetInt32(0)] = reader.GetString(1);
        }

        var snapshot = new Snapshot(owners, time.GetTimestamp());
        current = snapshot;
        return snapshot;
    }

    internal sealed record Snapshot(Dictionary<int, string> Owners, long ReadAt);
}
