namespace Argus.Grains.Abstractions.Streaming;

/// <summary>
/// One partition's latest committed entries, consecutive by sequence number (at most
/// <c>capacity</c> of them), and the highest sequence number known committed. A slice that does
/// not continue the kept entries replaces them, so what is kept is always gap-free; whoever needs
/// older entries reads them from Postgres. Thread-safe.
/// </summary>
public sealed class RecentLog(int capacity)
{
    private readonly Queue<(long Seq, AuditEntry Entry)> entries = new();
    private long head;
    private long last = -1;

    public long Head => Interlocked.Read(ref head);

    /// <summary>Learns of a newer head; true when it moved.</summary>
    public bool Raise(long seq)
    {
        lock (entries)
        {
            if (seq <= head)
            {
                return false;
            }

            Interlocked.Exchange(ref head, seq);
            return true;
        }
    }

    /// <summary>Keeps the slice's entries after the kept ones (or instead of them when it does not continue them); true when the head moved.</summary>
    public bool Add(LogSlice slice)
    {
        lock (entries)
        {
            if (entries.Count > 0 && slice.Before != last)
            {
                if (slice.Through <= last)
                {
                    return false; // a repeat
                }

                entries.Clear();
            }

            for (var i = 0; i < slice.Count; i++)
            {
                entries.Enqueue((slice.Seqs[i], slice.Entries[i]));
                last = slice.Seqs[i];
                if (entries.Count > capacity)
                {
                    entries.Dequeue();
                }
            }

            if (slice.Through <= head)
            {
                return false;
            }

            Interlocked.Exchange(ref head, slice.Through);
            return true;
        }
    }

    /// <summary>Kept entries right after <paramref name="after"/>, at most <paramref name="max"/>; false when the entry after it is not kept.</summary>
    public bool TryRead(long after, int max, List<(long Seq, AuditEntry Entry)> into)
    {
        lock (entries)
        {
            if (entries.Count == 0 || entries.Peek().Seq > after + 1 || last <= after)
            {
                return false;
            }

            foreach (var item in entries)
            {
                if (item.Seq > after && into.Count < max)
                {
                    into.Add(item);
                }
            }

            return true;
        }
    }
}
