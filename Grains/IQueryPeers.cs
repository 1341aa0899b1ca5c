using Argus.Grains.Abstractions.Querying;

namespace Argus.Grains;

/// <summary>
/// The other silos as <see cref="QueryGrain"/> sees them: which live silo owns each partition,
/// and a way to ask an owner for the matches in its partitions. A silo with no peers (a single
/// node) never asks.
/// </summary>
public interface IQueryPeers
{
    /// <summary>Partition -> address of the other live silo owning it; a partition absent here is owned by this silo or by nobody.</summary>
    ValueTask<IReadOnlyDictionary<int, string>> OwnersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The owner's answer, or null when it did not answer in time, answered that it no longer owns
    /// every partition asked for, or failed: the caller reads those partitions from Postgres itself.
    /// </summary>
    Task<PartitionRows?> ReadAsync(string owner, PartitionQuery query, CancellationToken cancellationToken);
}
