using System.Globalization;
using Argus.Grains.Abstractions;

namespace Argus.Gateway.Facades;

/// <summary>
/// The ISO 8601 forms the other audit APIs' clients send: a date (<c>2026-03-19</c>), or a date-time
/// with <c>T</c> or a space, with or without seconds and a fraction, with or without an offset
/// (none means UTC, as those servers read it). Like every Argus instant, truncated to microseconds.
/// </summary>
public static class IsoTime
{
    public const string Expected = "an ISO 8601 date or date-time such as 2026-03-19 or 2026-03-19T15:35:00Z";

    public static bool TryParse(string value, out DateTimeOffset instant, out bool dateOnly)
    {
        dateOnly = false;
        if (value.Length == 10)
        {
            dateOnly = DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
            instant = dateOnly ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : default;
            return dateOnly;
        }

        if (value.Length < 16 || (value[10] != 'T' && value[10] != 't' && value[10] != ' '))
        {
            instant = default;
            return false;
        }

        var text = string.Concat(value.AsSpan(0, 10), "T", value.AsSpan(11));
        if (text.Length == 16 || (text.Length > 16 && text[16] != ':'))
        {
            text = text.Insert(16, ":00");
        }

        var zone = text.Length > 19 ? text.AsSpan(19).IndexOfAny("Zz+-") : -1;
        return Rfc3339.TryParse(zone < 0 ? text + "Z" : text, out instant);
    }

    /// <summary>
    /// The exclusive bound that makes <paramref name="end"/> inclusive: the next microsecond (the
    /// precision entries are stored at), or the next day when the bound is a whole day.
    /// </summary>
    public static DateTimeOffset ExclusiveEnd(DateTimeOffset end, bool wholeDay) =>
        wholeDay ? end.AddDays(1) : end.AddTicks(10 - (end.Ticks % 10));
}
