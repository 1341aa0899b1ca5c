namespace Argus.Grains.Abstractions.Partitioning;

/// <summary>
/// The cluster's grain directory as callers cache it: for each partition, the address of the
/// live silo that owns it (null while none does).
/// </summary>
public sealed record PartitionMap(int PartitionCount, IReadOnlyList<string?> Owners)
{
    public string? OwnerOf(Guid partitionKey) => Owners[PartitionHash.PartitionOf(partitionKey, PartitionCount)];

    /// <summary>Every distinct silo address in the map.</summary>
    public IEnumerable<string> Silos => Owners.OfType<string>().Distinct(StringComparer.Ordinal);
}
