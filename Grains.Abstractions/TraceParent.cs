namespace Argus.Grains.Abstractions;

/// <summary>The W3C Trace Context <c>traceparent</c> header: <c>00-&lt;32 hex trace-id&gt;-&lt;16 hex parent-id&gt;-&lt;2 hex flags&gt;</c>.</summary>
public static class TraceParent
{
    /// <summary>
    /// Reads the 16-byte trace-id as a UUID (same bytes, big-endian), so a tracing tool can search
    /// Argus with the trace id it already shows. An all-zero trace-id is invalid per the spec.
    /// </summary>
    public static bool TryGetTraceId(ReadOnlySpan<char> header, out Guid traceId)
    {
        traceId = default;
        header = header.Trim();

        // version "-" trace-id "-" parent-id "-" flags, all lower-case hex; a version 00 header has
        // exactly that length, later versions may append "-" and more. Anything else is ignored.
        if (header.Length < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-'
            || !IsLowerHex(header[..2]) || header[..2] is "ff"
            || (header[..2] is "00" ? header.Length != 55 : header.Length > 55 && header[55] != '-')
            || !IsLowerHex(header.Slice(3, 32)) || !IsLowerHex(header.Slice(36, 16)) || !IsLowerHex(header.Slice(53, 2))
            || header.Slice(36, 16).IndexOfAnyExcept('0') < 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        Convert.FromHexString(header.Slice(3, 32), bytes, out _, out _);
        traceId = new Guid(bytes, bigEndian: true);
        return traceId != Guid.Empty;
    }

    /// <summary>
    /// A trace id as a caller may write it: a UUID (<c>4bf92f35-77b3-4da6-a3ce-929d0e0e4736</c>), or
    /// the 32 hex digits tracing tools show for a W3C trace-id (<c>4bf92f3577b34da6a3ce929d0e0e4736</c>),
    /// which name the same 16 bytes.
    /// </summary>
    public static bool TryParseTraceId(string? text, out Guid traceId) =>
        Guid.TryParseExact(text, "D", out traceId) || (text?.Length == 32 && Guid.TryParseExact(text, "N", out traceId));

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
