namespace Argus.Grains.Tests;

/// <summary>Entry ids: time-ordered UUIDv7 for new entries, deterministic UUIDv8 from an idempotency key.</summary>
public sealed class EntryIdsTests
{
    [Fact]
    public void New_id_is_a_version_7_uuid_carrying_the_time_in_milliseconds()
    {
        var now = new DateTimeOffset(2024, 1, 20, 10, 0, 0, 123, TimeSpan.Zero);

        var id = EntryIds.NewId(new FixedTime(now));

        var text = id.ToString();
        Assert.Equal('7', text[14]);
        Assert.Contains(text[19], "89ab");
        Assert.Equal(now.ToUnixTimeMilliseconds(), Convert.ToInt64(text.Replace("-", "", StringComparison.Ordinal)[..12], 16));
    }

    [Fact]
    public void New_ids_sort_by_time_in_uuid_order()
    {
        var start = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero);

        // One millisecond apart: later ids are greater in Postgres uuid order (the order of the text).
        var ids = Enumerable.Range(0, 200).Select(i => EntryIds.NewId(new FixedTime(start.AddMilliseconds(i))).ToString()).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(200, ids.Distinct().Count());
    }

    [Fact]
    public void New_ids_made_at_the_same_time_differ()
    {
        var time = new FixedTime(new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero));

        var ids = Enumerable.Range(0, 1000).Select(_ => EntryIds.NewId(time)).ToHashSet();

        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void Idempotency_id_is_deterministic_and_pinned()
    {
        var first = EntryIds.FromIdempotencyKey("audit-logs", "order-42");
        var again = EntryIds.FromIdempotencyKey("audit-logs", "order-42");

        Assert.Equal(first, again);
        Assert.Equal(Guid.Parse("862160ff-2450-8927-b3a3-dd1110f38839"), first);
    }

    [Theory]
    [InlineData("audit-logs", "order-42")]
    [InlineData("audit-logs", "")]
    [InlineData("other", "k")]
    [InlineData("audit-logs", "ключ-🔑")]
    public void Idempotency_id_is_a_version_8_uuid(string scope, string key)
    {
        var text = EntryIds.FromIdempotencyKey(scope, key).ToString();

        Assert.Equal('8', text[14]);
        Assert.Contains(text[19], "89ab");
    }

    [Fact]
    public void Different_keys_or_scopes_give_different_ids()
    {
        var keys = Enumerable.Range(0, 5000).Select(i => "key-" + i).ToList();

        var ids = keys.Select(k => EntryIds.FromIdempotencyKey("audit-logs", k)).ToHashSet();

        Assert.Equal(keys.Count, ids.Count);
        Assert.NotEqual(EntryIds.FromIdempotencyKey("audit-logs", "k"), EntryIds.FromIdempotencyKey("other", "k"));
        Assert.NotEqual(EntryIds.FromIdempotencyKey("audit-logs", "k"), EntryIds.FromIdempotencyKey("audit-logs", "K"));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
