using System.Text;

namespace Argus.Grains.Abstractions;

/// <summary>
/// Strict RFC 3339 date-times: <c>YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)</c>.
/// Values are truncated to whole microseconds, the precision Postgres stores, so what an
/// acknowledgement echoes is exactly what a later read returns.
/// </summary>
public static class Rfc3339
{
    public const string Expected = "expected RFC3339 such as 2024-01-20T10:00:00Z or 2024-01-20T10:00:00.123456+02:00";

    public static bool TryParse(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 20
            || !TryDigits(s, 0, 4, out var year) || s[4] != '-'
            || !TryDigits(s, 5, 2, out var month) || s[7] != '-'
            || !TryDigits(s, 8, 2, out var day) || (s[10] != 'T' && s[10] != 't')
            || !TryDigits(s, 11, 2, out var hour) || s[13] != ':'
            || !TryDigits(s, 14, 2, out var minute) || s[16] != ':'
            || !TryDigits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long ticks = 0;
        if (s[i] == '.')
        {
            i++;
            var start = i;
            long scale = TimeSpan.TicksPerSecond;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                scale /= 10;
                ticks += (s[i] - '0') * scale;
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        TimeSpan offset;
        if (i < s.Length && (s[i] == 'Z' || s[i] == 'z'))
        {
            offset = TimeSpan.Zero;
            i++;
        }
        else if (i + 6 == s.Length && (s[i] == '+' || s[i] == '-')
                 && TryDigits(s, i + 1, 2, out var oh) && s[i + 3] == ':' && TryDigits(s, i + 4, 2, out var om)
                 && oh < 24 && om < 60)
        {
            offset = new TimeSpan(oh, om, 0);
            if (s[i] == '-')
            {
                offset = -offset;
            }

            i += 6;
        }
        else
        {
            return false;
        }

        // RFC 3339 allows a leap second (:60); .NET cannot represent it, so it is refused rather than moved.
        if (i != s.Length || year < 1 || month is < 1 or > 12 || hour > 23 || minute > 59 || second > 59
            || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        // The UTC instant is computed by hand: DateTimeOffset carries offsets of at most 14 hours,
        // RFC 3339 allows up to 23:59.
        var utcTicks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks + ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false; // the UTC instant falls outside year 1..9999
        }

        value = TruncateToMicroseconds(new DateTimeOffset(utcTicks, TimeSpan.Zero));
        return true;
    }

    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);

    /// <summary>The most bytes <see cref="Format(DateTimeOffset, Span{byte})"/> writes: <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    public const int MaxFormattedLength = 27;

    /// <summary>UTC, <c>Z</c>, and six fraction digits (truncated) only when the value has a fraction.</summary>
    public static string Format(DateTimeOffset value)
    {
        Span<byte> ascii = stackalloc byte[MaxFormattedLength];
        return Encoding.ASCII.GetString(ascii[..Format(value, ascii)]);
    }

    /// <summary>
    /// <see cref="Format(DateTimeOffset)"/> as ASCII (so UTF-8) into <paramref name="destination"/>
    /// (at least <see cref="MaxFormattedLength"/> bytes), returning its length: what JSON writers
    /// take without formatting a string per instant.
    /// </summary>
    public static int Format(DateTimeOffset value, Span<byte> destination)
    {
        var utc = value.UtcDateTime;
        Digits(destination[..4], utc.Year);
        destination[4] = (byte)'-';
        Digits(destination[5..7], utc.Month);
        destination[7] = (byte)'-';
        Digits(destination[8..10], utc.Day);
        destination[10] = (byte)'T';
        Digits(destination[11..13], utc.Hour);
        destination[13] = (byte)':';
        Digits(destination[14..16], utc.Minute);
        destination[16] = (byte)':';
        Digits(destination[17..19], utc.Second);
        var fraction = utc.Ticks % TimeSpan.TicksPerSecond;
        if (fraction == 0)
        {
            destination[19] = (byte)'Z';
            return 20;
        }

        destination[19] = (byte)'.';
        Digits(destination[20..26], (int)(fraction / (TimeSpan.TicksPerSecond / 1_000_000)));
        destination[26] = (byte)'Z';
        return MaxFormattedLength;
    }

    /// <summary>Writes <paramref name="value"/> in decimal, zero-padded to the span's length.</summary>
    private static void Digits(Span<byte> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private static bool TryDigits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }
}
