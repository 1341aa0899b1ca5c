namespace Argus.Grains.Abstractions.Partitioning;

/// <summary>
/// Maps a trace (or a standalone entry's id) to one of the cluster's partitions.
/// FNV-1a over the key's 16 bytes in RFC 4122 (big-endian) order: the same in every process,
/// runtime and version, unlike <see cref="object.GetHashCode"/>.
/// </summary>
public static class PartitionHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Hash(Guid key)
    {
        Span<byte> bytes = stackalloc byte[16];
        key.TryWriteBytes(bytes, bigEndian: true, out _);
        var hash = OffsetBasis;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= Prime;
        }

        return hash;
    }

    public static int PartitionOf(Guid key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return (int)(Hash(key) % (ulong)partitionCount);
    }
}
