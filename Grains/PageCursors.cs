using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Storage;

namespace Argus.Grains;

/// <summary>
/// Keyset cursors: opaque tokens that name the last entry of a page and the filters it was read
/// with, signed with the cluster's key so that a caller can neither forge a position nor carry a
/// cursor over to other filters. Any silo of the cluster reads any silo's cursors.
/// </summary>
/// <remarks>
/// Layout, base64url without padding (66 characters): version (1 byte) | the last entry's
/// timestamp in microseconds since the Unix epoch (8, big-endian) | its id (16, RFC 4122 order) |
/// fingerprint of the filters (8) | HMAC-SHA256 of everything before, truncated to 16 bytes.
/// </remarks>
public sealed class PageCursors
{
    public const int KeyLength = 32;

    private const byte Version = 1;
    private const int FingerprintLength = 8;
    private const int PayloadLength = 1 + 8 + 16 + FingerprintLength;
    private const int MacLength = 16;
    private const int TokenLength = PayloadLength + MacLength;

    private volatile byte[]? key;

    /// <summary>True once the cluster's key is loaded (at silo start-up).</summary>
    public bool IsReady => key is not null;

    public void UseKey(byte[] clusterKey)
    {
        if (clusterKey.Length != KeyLength)
        {
            throw new ArgumentException($"a cursor key has {KeyLength} bytes", nameof(clusterKey));
        }

        key = clusterKey.ToArray();
    }

    /// <summary>The cursor of the page that follows <paramref name="last"/> under <paramref name="query"/>'s filters.</summary>
    public string Encode(OrderKey last, AuditQuery query)
    {
        Span<byte> token = stackalloc byte[TokenLength];
        token[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(token[1..], last.Micros);
        last.Id.TryWriteBytes(token[9..], bigEndian: true, out _);
        Fingerprint(query, token.Slice(25, FingerprintLength));
        Sign(token[..PayloadLength], token[PayloadLength..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>The position a cursor names, once it is known to be one of ours and to belong to <paramref name="query"/>'s filters.</summary>
    /// <exception cref="AuditValidationException">Malformed, not signed with the cluster's key, or issued for other filters (field <c>cursor</c>).</exception>
    public OrderKey Decode(string cursor, AuditQuery query)
    {
        Span<byte> token = stackalloc byte[TokenLength];
        if (cursor.Length != Base64Url.GetEncodedLength(TokenLength)
            || !Base64Url.IsValid(cursor, out var length)
            || length != TokenLength
            || Base64Url.DecodeFromChars(cursor, token) != TokenLength
            || token[0] != Version)
        {
            throw Invalid("query parameter 'cursor' is malformed: pass the nextCursor of a previous page as it is");
        }

        if (!cursor.Equals(Base64Url.EncodeToString(token), StringComparison.Ordinal))
        {
            // The same bytes spelt another way (unused trailing bits set): only the canonical spelling is one of ours.
            throw Invalid("query parameter 'cursor' is malformed: pass the nextCursor of a previous page as it is");
        }

        Span<byte> mac = stackalloc byte[MacLength];
        Sign(token[..PayloadLength], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, token[PayloadLength..]))
        {
            throw Invalid("query parameter 'cursor' was not issued by this cluster: pass the nextCursor of a previous page as it is");
        }

        Span<byte> fingerprint = stackalloc byte[FingerprintLength];
        Fingerprint(query, fingerprint);
        if (!fingerprint.SequenceEqual(token.Slice(25, FingerprintLength)))
        {
            throw Invalid("query parameter 'cursor' belongs to other filters: a cursor continues the query it came from, with the same filters");
        }

        return new OrderKey(BinaryPrimitives.ReadInt64BigEndian(token[1..]), new Guid(token.Slice(9, 16), bigEndian: true));
    }

    private void Sign(ReadOnlySpan<byte> payload, Span<byte> mac)
    {
        var current = key ?? throw new InvalidOperationException("the cluster's cursor key is not loaded yet");
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(current, payload, full);
        full[..mac.Length].CopyTo(mac);
    }

    /// <summary>A digest of every filter and its value (<see cref="AuditFilters"/>); paging parameters are not filters.</summary>
    private static void Fingerprint(AuditQuery query, Span<byte> destination)
    {
        var text = new StringBuilder();
        foreach (var (condition, value) in AuditFilters.Of(query))
        {
            if (value is not null)
            {
                text.Append(condition).Append('\u001f').Append(Canonical(value)).Append('\u001e');
            }
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()), digest);
        digest[..destination.Length].CopyTo(destination);
    }

    private static string Canonical(object value) => value switch
    {
        DateTime time => time.Ticks.ToString(CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static AuditValidationException Invalid(string message) => new("cursor", "Validation error: " + message);
}
