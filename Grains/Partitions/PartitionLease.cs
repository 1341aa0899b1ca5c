namespace Argus.Grains.Partitions;

/// <summary>
/// This silo's right to write one partition: the epoch it took ownership at and the partition's
/// last committed sequence number and hash. Only the writer moves <see cref="LastSeq"/> and
/// <see cref="LastHash"/>; a revoked lease is never used again (a new ownership makes a new lease).
/// </summary>
public sealed class PartitionLease(int partition, long epoch, long lastSeq, byte[] lastHash)
{
    private volatile bool revoked;

    public int Partition { get; } = partition;

    public long Epoch { get; } = epoch;

    public long LastSeq { get; internal set; } = lastSeq;

    /// <summary>The hash of the entry at <see cref="LastSeq"/>: the previous hash of the next entry.</summary>
    public byte[] LastHash { get; internal set; } = lastHash;

    public bool IsRevoked => revoked;

    public void Revoke() => revoked = true;

    public override string ToString() => $"partition {Partition} epoch {Epoch} at {LastSeq}{(revoked ? " (revoked)" : "")}";
}
