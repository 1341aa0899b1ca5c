namespace Argus.Grains.Partitions;

/// <summary>
/// The entries of one trace (or of one standalone entry) waiting for the writer, in arrival
/// order. It exists only while it has entries: the writer drains it whole where it can, so a
/// trace's entries are stored together and in order. Guarded by its partition's lock.
/// </summary>
internal sealed class TraceQueue(Guid key)
{
    public Guid Key { get; } = key;

    public List<PendingAppend> Pending { get; } = [];
}
