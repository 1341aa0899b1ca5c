using Argus.Grains.Integrity;
using Argus.Grains.Retention;

namespace Argus.Grains.Tests;

/// <summary>The month tables retention knows, their bounds, and how the runs it vouches for are joined.</summary>
public sealed class MonthTableTests
{
    [Fact]
    public void A_month_table_holds_its_month_and_ends_where_the_next_begins()
    {
        var february = MonthTable.Of("audit_logs_y2024m02")!;
        Assert.Equal("2024-02-01 00:00:00+00", february.LowerBound);
        Assert.Equal("2024-03-01 00:00:00+00", february.UpperBound);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), february.End);
        Assert.True(february.EndsBy(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.False(february.EndsBy(new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.Zero)));

        var december = MonthTable.Of("audit_logs_y2023m12")!;
        Assert.Equal("2024-01-01 00:00:00+00", december.UpperBound);
        Assert.Equal(DateTimeOffset.MaxValue, MonthTable.Of("audit_logs_y9999m12")!.End);
    }

    [Fact]
    public void Before_year_one_always_ends_in_the_past_and_after_9999_is_never_a_month()
    {
        var before = MonthTable.Of(MonthTable.Before)!;
        Assert.Equal("-infinity", before.LowerBound);
        Assert.Equal("0001-01-01 00:00:00+00", before.UpperBound);
        Assert.True(before.EndsBy(DateTimeOffset.MinValue));

        Assert.Null(MonthTable.Of("audit_logs_after"));
        Assert.Null(MonthTable.Of("audit_logs_y2024m13"));
        Assert.Null(MonthTable.Of("audit_logs_v13"));
        Assert.Null(MonthTable.Of("audit_logs_y2024m02_old"));
    }

    [Fact]
    public void Runs_that_continue_each_other_become_one_with_the_later_ones_last_hash()
    {
        byte[] a = [1], b = [2], c = [3], d = [4];
        var merged = PartitionMaintenance.Merge(
        [
            new RemovedRun(1, 6, 6, c),
            new RemovedRun(1, 1, 4, a),
            new RemovedRun(1, 5, 5, b),
            new RemovedRun(1, 8, 9, d),
            new RemovedRun(0, 5, 5, d),
        ]);

        Assert.Equal(
            new[] { (0, 5L, 5L, d), (1, 1L, 6L, c), (1, 8L, 9L, d) },
            merged.Select(r => (r.Partition, r.FirstSeq, r.LastSeq, r.LastHash)));
    }
}
