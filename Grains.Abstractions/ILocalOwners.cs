namespace Argus.Grains.Abstractions;

/// <summary>
/// The partition owners active in this process, for callers in the same process (a node's HTTP
/// API): an append to a partition owned here goes straight into its owner's queue, the very
/// queue <see cref="IPartitionGrain.AppendAsync"/> fills, without an Orleans message. Ownership,
/// placement, activation and fencing stay the grain's; only the hop is saved (measured in
/// docs/architecture.md).
/// </summary>
public interface ILocalOwners
{
    /// <summary>
    /// Queues the entry at its partition's owner when that is active here and takes entries, and
    /// answers once it is committed; null when it is not (then call the grain).
    /// </summary>
    Task<AppendResult>? TryAppend(int partition, AuditEntry entry);
}
