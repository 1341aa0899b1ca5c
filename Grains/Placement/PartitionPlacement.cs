namespace Argus.Grains.Placement;

/// <summary>
/// Where a partition's owner lives: on the silo that the partition assignment gives it, so every
/// silo owns about <c>P / silos</c> partitions and a membership change moves only what it must.
/// The silo registers the director that applies it.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class PartitionPlacement : PlacementStrategy
{
    public static PartitionPlacement Instance { get; } = new();
}
