using Orleans.Placement;

namespace Argus.Grains.Placement;

/// <summary>Places a grain keyed by a partition number where <see cref="PartitionPlacement"/> says.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class PartitionPlacementAttribute() : PlacementAttribute(PartitionPlacement.Instance);
