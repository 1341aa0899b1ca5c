using System.Buffers.Text;

namespace Argus.Gateway.Tail;

/// <summary>
/// Where a tail client is in the committed log: for every partition, the sequence number of the
/// last entry it has been sent or passed over. Partitions are ordered only within themselves, so a
/// position is the whole vector, written as base64url of unsigned LEB128 numbers (the partition
/// count, then each sequence number): compact, opaque to clients, and checked when read back.
/// </summary>
public static class TailPosition
{
    public static string Encode(ReadOnlySpan<long> seqs)
    {
        Span<byte> buffer = stackalloc byte[10 * (seqs.Length + 1)];
        var length = Write(buffer, (ulong)seqs.Length);
        foreach (var seq in seqs)
        {
            length += Write(buffer[length..], (ulong)seq);
        }

        return Base64Url.EncodeToString(buffer[..length]);
    }

    /// <summary>The vector of a position given by a client, or null when it is not one of a cluster of <paramref name="partitionCount"/> partitions.</summary>
    public static long[]? Decode(string text, int partitionCount)
    {
        if (text.Length > 16 * (partitionCount + 1) || !Base64Url.IsValid(text))
        {
            return null;
        }

        var bytes = Base64Url.DecodeFromChars(text);
        var offset = 0;
        if (!TryRead(bytes, ref offset, out var count) || count != (ulong)partitionCount)
        {
            return null;
        }

        var seqs = new long[partitionCount];
        for (var p = 0; p < partitionCount; p++)
        {
            if (!TryRead(bytes, ref offset, out var seq) || seq > long.MaxValue)
            {
                return null;
            }

            seqs[p] = (long)seq;
        }

        return offset == bytes.Length ? seqs : null;
    }

    private static int Write(Span<byte> buffer, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[i++] = (byte)value;
        return i;
    }

    private static bool TryRead(ReadOnlySpan<byte> bytes, ref int offset, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && offset < bytes.Length; shift += 7)
        {
            var b = bytes[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
