using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Argus.Silo.Placement;

/// <summary>
/// Places a partition's owner on the silo that <see cref="PartitionAssignment"/> gives the
/// partition among the silos compatible with it (the active ones), the same assignment every
/// silo's balancer computes: so an owner is activated where it is meant to stay.
/// </summary>
internal sealed class PartitionPlacementDirector(LocalPartitions partitions) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        var partition = target.GrainIdentity.GetIntegerKey();
        if (!partitions.IsReady || partition < 0 || partition >= partitions.PartitionCount)
        {
            // Not placeable by partition (this silo is starting, or a bad key): activation will refuse it anyway.
            return Task.FromResult(context.LocalSilo);
        }

        var owner = PartitionAssignment.OwnerOf((int)partition, partitions.PartitionCount, silos.Select(s => s.ToParsableString()).ToList());
        return Task.FromResult(silos[owner]);
    }
}
