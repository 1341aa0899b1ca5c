namespace Argus.Grains.Tests;

/// <summary>Strict RFC 3339 parsing to UTC at microsecond precision, and the one output format.</summary>
public sealed class Rfc3339Tests
{
    [Theory]
    [InlineData("2024-01-20T10:00:00Z", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-01-20T10:00:00.123456Z", "2024-01-20T10:00:00.1234560+00:00")]
    [InlineData("2024-01-20T10:00:00.1Z", "2024-01-20T10:00:00.1000000+00:00")]
    [InlineData("2024-01-20T12:00:00+02:00", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-01-20T05:30:00-04:30", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-01-20T10:00:00+00:00", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-01-20T10:00:00-00:00", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-01-20T14:00:00+14:00", "2024-01-20T00:00:00.0000000+00:00")]
    [InlineData("2024-01-20T00:00:00-12:00", "2024-01-20T12:00:00.0000000+00:00")]
    [InlineData("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00.0000000+00:00")]
    [InlineData("2024-01-20t10:00:00z", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.0000000+00:00")]
    [InlineData("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.0000000+00:00")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0000000+00:00")]
    [InlineData("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.9999990+00:00")]
    [InlineData("2024-01-20T10:00:00.123456789Z", "2024-01-20T10:00:00.1234560+00:00")]
    [InlineData("2024-01-20T10:00:00.1234569Z", "2024-01-20T10:00:00.1234560+00:00")]
    [InlineData("2024-01-20T10:00:00.0000009Z", "2024-01-20T10:00:00.0000000+00:00")]
    [InlineData("2024-01-20T10:00:00.99999999999999999999Z", "2024-01-20T10:00:00.9999990+00:00")]
    public void Valid_forms_parse_to_the_utc_instant_truncated_to_microseconds(string text, string expected)
    {
        Assert.True(Rfc3339.TryParse(text, out var value));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.Equal(0, value.UtcTicks % TimeSpan.TicksPerMicrosecond);
    }

    [Theory]
    [InlineData("2024-01-20T23:59:00+23:59", "2024-01-20T00:00:00.0000000+00:00")]
    [InlineData("2024-01-20T14:01:00+14:01", "2024-01-20T00:00:00.0000000+00:00")]
    [InlineData("2024-01-19T00:01:00-23:59", "2024-01-20T00:00:00.0000000+00:00")]
    public void Offsets_beyond_14_hours_parse_to_the_utc_instant(string text, string expected)
    {
        Assert.True(Rfc3339.TryParse(text, out var value));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2024-01-20")]
    [InlineData("2024-01-20 10:00:00")]
    [InlineData("2024-01-20 10:00:00Z")]
    [InlineData("2024-01-20T10:00:00")]
    [InlineData("2024-01-20T10:00Z")]
    [InlineData("2024-01-20T10:00:00.Z")]
    [InlineData("2024-01-20T10:00:00,5Z")]
    [InlineData("2024-13-01T00:00:00Z")]
    [InlineData("2024-00-10T00:00:00Z")]
    [InlineData("2024-01-00T00:00:00Z")]
    [InlineData("2024-01-32T00:00:00Z")]
    [InlineData("2024-02-30T00:00:00Z")]
    [InlineData("2023-02-29T00:00:00Z")]
    [InlineData("1900-02-29T00:00:00Z")]
    [InlineData("2024-04-31T00:00:00Z")]
    [InlineData("2024-01-20T24:00:00Z")]
    [InlineData("2024-01-20T25:00:00Z")]
    [InlineData("2024-01-20T10:60:00Z")]
    [InlineData("2024-01-20T10:00:60Z")]
    [InlineData("2024-01-20T10:00:00+24:00")]
    [InlineData("2024-01-20T10:00:00+02:60")]
    [InlineData("2024-01-20T10:00:00+0200")]
    [InlineData("2024-01-20T10:00:00+02")]
    [InlineData("2024-01-20T10:00:00+02:00Z")]
    [InlineData("2024-01-20T10:00:00Z ")]
    [InlineData(" 2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T10:00:00ZZ")]
    [InlineData("2024-1-20T10:00:00Z")]
    [InlineData("24-01-20T10:00:00Z")]
    [InlineData("+2024-01-20T10:00:00Z")]
    [InlineData("2024/01/20T10:00:00Z")]
    [InlineData("2024-01-20T10.00.00Z")]
    [InlineData("20240120T100000Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+00:01")]
    [InlineData("9999-12-31T23:59:59-00:01")]
    [InlineData("２０２４-01-20T10:00:00Z")]
    [InlineData("2024-01-20T10:00:00.１Z")]
    public void Invalid_forms_are_refused(string text)
    {
        Assert.False(Rfc3339.TryParse(text, out var value));
        Assert.Equal(default, value);
    }

    [Theory]
    [InlineData("2024-01-20T10:00:00.0000000+00:00", "2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T12:00:00.0000000+02:00", "2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T10:00:00.5000000+00:00", "2024-01-20T10:00:00.500000Z")]
    [InlineData("2024-01-20T10:00:00.0000010+00:00", "2024-01-20T10:00:00.000001Z")]
    [InlineData("2024-01-20T10:00:00.1234560-03:00", "2024-01-20T13:00:00.123456Z")]
    [InlineData("0001-01-01T00:00:00.0000000+00:00", "0001-01-01T00:00:00Z")]
    public void Format_writes_utc_with_Z_and_six_fraction_digits_only_when_there_is_a_fraction(string value, string expected)
    {
        Assert.Equal(expected, Rfc3339.Format(DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T10:00:00.000001Z")]
    [InlineData("2024-01-20T10:00:00.999999Z")]
    [InlineData("1999-12-31T23:59:59.100000Z")]
    public void Format_of_a_parsed_canonical_value_is_the_same_text(string text)
    {
        Assert.True(Rfc3339.TryParse(text, out var value));

        Assert.Equal(text, Rfc3339.Format(value));
    }

    [Fact]
    public void Truncation_to_microseconds_drops_the_rest_and_keeps_the_instant_in_utc()
    {
        var value = new DateTimeOffset(2024, 1, 20, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);

        var truncated = Rfc3339.TruncateToMicroseconds(value);

        Assert.Equal(new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), truncated);
        Assert.Equal(TimeSpan.Zero, truncated.Offset);
        Assert.Equal(truncated, Rfc3339.TruncateToMicroseconds(truncated));
    }

    [Fact]
    public void Format_writes_what_the_custom_date_format_writes_across_the_calendar()
    {
        var random = new Random(3339);
        var instants = new List<DateTimeOffset> { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddTicks(1) };
        for (var i = 0; i < 10_000; i++)
        {
            var ticks = random.NextInt64(DateTimeOffset.MaxValue.UtcTicks);
            instants.Add(new DateTimeOffset(i % 3 == 0 ? ticks - (ticks % TimeSpan.TicksPerSecond) : ticks, TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1) / 15 * 15)));
        }

        Span<byte> utf8 = stackalloc byte[Rfc3339.MaxFormattedLength];
        foreach (var instant in instants)
        {
            var utc = instant.UtcDateTime;
            var expected = utc.ToString(
                utc.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'" : "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'",
                System.Globalization.CultureInfo.InvariantCulture);

            Assert.Equal(expected, Rfc3339.Format(instant));
            Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(utf8[..Rfc3339.Format(instant, utf8)]));
        }
    }
}
