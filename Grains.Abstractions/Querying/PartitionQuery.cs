namespace Argus.Grains.Abstractions.Querying;

/// <summary>
/// What a silo answering a query asks the owner of some partitions for: the entries of <paramref name="Partitions"/> matching
/// <paramref name="Filters"/>, in page order, starting after <paramref name="After"/> when set (a
/// cursor's position); the first <paramref name="Take"/> of them, as full entries or only their
/// order keys (<paramref name="KeysOnly"/>); and the number of all matches when <paramref name="Count"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PartitionQuery(AuditQuery Filters, IReadOnlyList<int> Partitions, OrderKey? After, int Take, bool KeysOnly, bool Count);
