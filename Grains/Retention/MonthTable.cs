using System.Globalization;
using System.Text.RegularExpressions;

namespace Argus.Grains.Retention;

/// <summary>
/// One partition of <c>audit_logs</c> as <c>argus_ensure_months</c> names it (014_chains_and_months.sql):
/// a month <c>audit_logs_yYYYYmMM</c> holding [its first instant, the next month's) in UTC, or
/// <c>audit_logs_before</c> holding what lies before year 1 (-infinity). <c>audit_logs_after</c>
/// (infinity) is never one: no time is ever past it.
/// </summary>
public sealed partial record MonthTable(string Name, string LowerBound, string UpperBound, DateTimeOffset End)
{
    public const string Before = "audit_logs_before";

    /// <summary>The table named <paramref name="name"/>, or null for any other name (<c>audit_logs_after</c> among them).</summary>
    public static MonthTable? Of(string name)
    {
        if (name == Before)
        {
            return new MonthTable(name, "-infinity", "0001-01-01 00:00:00+00", DateTimeOffset.MinValue);
        }

        var match = MonthName().Match(name);
        if (!match.Success)
        {
            return null;
        }

        var year = int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        var month = int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        if (year < 1 || month is < 1 or > 12)
        {
            return null;
        }

        var (nextYear, nextMonth) = month == 12 ? (year + 1, 1) : (year, month + 1);
        return new MonthTable(
            name,
            Invariant($"{year:0000}-{month:00}-01 00:00:00+00"),
            Invariant($"{nextYear:0000}-{nextMonth:00}-01 00:00:00+00"),
            nextYear > 9999 ? DateTimeOffset.MaxValue : new DateTimeOffset(nextYear, nextMonth, 1, 0, 0, 0, TimeSpan.Zero));
    }

    /// <summary>True when every instant the table can hold is at or before <paramref name="cutoff"/>.</summary>
    public bool EndsBy(DateTimeOffset cutoff) => End <= cutoff;

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^audit_logs_y(\d{4})m(\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex MonthName();
}
