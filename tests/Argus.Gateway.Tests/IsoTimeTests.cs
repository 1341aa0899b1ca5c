using Argus.Gateway.Facades;

namespace Argus.Gateway.Tests;

/// <summary>The ISO 8601 forms the other audit APIs accept, and the inclusive ends they mean.</summary>
public sealed class IsoTimeTests
{
    [Theory]
    [InlineData("2026-03-19", "2026-03-19T00:00:00.0000000+00:00", true)]
    [InlineData("2026-03-19T15:35:00Z", "2026-03-19T15:35:00.0000000+00:00", false)]
    [InlineData("2026-03-19T15:35:00", "2026-03-19T15:35:00.0000000+00:00", false)]
    [InlineData("2026-03-19 15:35:00", "2026-03-19T15:35:00.0000000+00:00", false)]
    [InlineData("2026-03-19T15:35", "2026-03-19T15:35:00.0000000+00:00", false)]
    [InlineData("2026-03-19T15:35Z", "2026-03-19T15:35:00.0000000+00:00", false)]
    [InlineData("2026-03-19T17:35:00.1234567+02:00", "2026-03-19T15:35:00.1234560+00:00", false)]
    [InlineData("2026-03-19T10:35:00-05:00", "2026-03-19T15:35:00.0000000+00:00", false)]
    public void Accepts_dates_and_date_times_with_or_without_seconds_and_offset(string text, string expected, bool dateOnly)
    {
        Assert.True(IsoTime.TryParse(text, out var instant, out var wasDate));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), instant);
        Assert.Equal(TimeSpan.Zero, instant.Offset);
        Assert.Equal(dateOnly, wasDate);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2026-13-01")]
    [InlineData("2026-02-30")]
    [InlineData("2026-03-19T25:00:00Z")]
    [InlineData("2026-03-19X15:35:00Z")]
    [InlineData("19/03/2026")]
    [InlineData("2026-03-19T15:35:00+0200")]
    public void Refuses_anything_else(string text) => Assert.False(IsoTime.TryParse(text, out _, out _));

    [Fact]
    public void An_inclusive_end_ends_a_microsecond_or_a_day_later()
    {
        var end = new DateTimeOffset(2026, 3, 19, 15, 35, 0, TimeSpan.Zero);
        Assert.Equal(end.AddTicks(10), IsoTime.ExclusiveEnd(end, wholeDay: false));
        Assert.Equal(end.AddTicks(10), IsoTime.ExclusiveEnd(end.AddTicks(3), wholeDay: false));
        Assert.Equal(end.AddDays(1), IsoTime.ExclusiveEnd(end, wholeDay: true));
    }
}
