namespace Argus.Grains.Partitions;

/// <summary>
/// This silo's right to write one partition: the epoch it took ownership at and the partition's
/// last committed sequence number. Only the writer moves <see cref="LastSeq"/>; a revoked lease
/// is never used again (a new ownership makes a new lease).
/// </summary>
public sealed class PartitionLease(int partition, long epoch, long lastSeq)
{
    private volatile bool revoked;

    public int Partition { get; } = partition;

    public long Epoch { get; } = epoch;

    public long LastSeq { get; internal set; } = lastSeq;

    public bool IsRevoked => revoked;

    public void Revoke() => revoked = true;

    public override string ToString() => $"partition {Partition} epoch {Epoch} at {LastSeq}{(revoked ? " (revoked)" : "")}";
}
