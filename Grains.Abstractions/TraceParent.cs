using System.Globalization;

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
        if (header.Length < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-'
            || !byte.TryParse(header[..2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var version)
            || version == 0xFF || (version == 0 && header.Length != 55))
        {
            return false;
        }

        var hex = header.Slice(3, 32);
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        Span<byte> bytes = stackalloc byte[16];
        if (Convert.FromHexString(hex, bytes, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        traceId = new Guid(bytes, bigEndian: true);
        return traceId != Guid.Empty;
    }
}
