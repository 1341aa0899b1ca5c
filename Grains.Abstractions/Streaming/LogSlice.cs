namespace Argus.Grains.Abstractions.Streaming;

/// <summary>
/// Committed entries of one partition in sequence order, each with its sequence number, and the
/// position the reader has now read through: <see cref="Through"/> is at least the last entry's
/// sequence number, and larger when entries after it were read but left out (another tenant's).
/// A slice of the stream itself holds every entry from its first sequence number to <see cref="Through"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LogSlice(
    [property: Id(0)] int Partition,
    [property: Id(1)] long[] Seqs,
    [property: Id(2)] AuditEntry[] Entries,
    [property: Id(3)] long Through)
{
    public int Count => Entries.Length;

    /// <summary>The sequence number before this slice's first entry (the position a reader must be at for the slice to continue it).</summary>
    public long Before => Seqs.Length > 0 ? Seqs[0] - 1 : Through;
}
