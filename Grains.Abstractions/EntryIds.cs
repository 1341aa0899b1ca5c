using System.Security.Cryptography;
using System.Text;

namespace Argus.Grains.Abstractions;

/// <summary>How an entry's id is fixed before its first storage attempt.</summary>
public static class EntryIds
{
    /// <summary>
    /// A time-ordered UUIDv7: new rows land at the right-hand edge of the primary-key index,
    /// which keeps inserts cheap and makes ids sort roughly by arrival.
    /// </summary>
    public static Guid NewId(TimeProvider time) => Guid.CreateVersion7(time.GetUtcNow());

    /// <summary>
    /// A UUIDv8 derived from a caller's idempotency key: every retry of the same request maps to
    /// the same id, so storage recognises it instead of storing a second entry.
    /// </summary>
    public static Guid FromIdempotencyKey(string scope, string key)
    {
        var input = Encoding.UTF8.GetBytes("argus/v1/" + scope + "\n" + key);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
