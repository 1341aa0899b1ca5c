using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Querying;

namespace Argus.Grains.Storage;

/// <summary>
/// One read of the matches of <paramref name="Filters"/>: in <paramref name="Partitions"/> (null:
/// every partition, and no partition predicate at all), in page order, after
/// <paramref name="After"/> when set, skipping <paramref name="Offset"/> and returning the next
/// <paramref name="Take"/>, as entries or only their keys; and the count of all matches when
/// <paramref name="Count"/>.
/// </summary>
internal sealed record PageRead(
    AuditQuery Filters,
    IReadOnlyCollection<int>? Partitions,
    OrderKey? After,
    int Offset,
    int Take,
    bool KeysOnly,
    bool Count)
{
    /// <summary>What an owner reads for a <see cref="PartitionQuery"/>.</summary>
    public static PageRead For(PartitionQuery query) =>
        new(query.Filters, query.Partitions, query.After, 0, query.Take, query.KeysOnly, query.Count);
}
