namespace Argus.Grains.Abstractions.Querying;

/// <summary>
/// An answer to a <see cref="PartitionQuery"/>: the first matches in page order, as
/// <paramref name="Logs"/> or, when only keys were asked for, as <paramref name="Keys"/> (the other
/// list is empty), and the number of all matches when it was asked for.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PartitionRows(IReadOnlyList<AuditEntry> Logs, IReadOnlyList<OrderKey> Keys, long? Count);
