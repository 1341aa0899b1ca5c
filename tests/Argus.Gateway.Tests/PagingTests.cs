namespace Argus.Gateway.Tests;

/// <summary>
/// Walking a result page by page returns every entry exactly once, in the same order as one big
/// page, even where many entries share a timestamp.
/// </summary>
public sealed class PagingTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const int Entries = 250;
    private const int PageSize = 7;

    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Pages_of_7_return_every_entry_once_in_the_order_of_one_big_page()
    {
        var trace = Guid.NewGuid();
        var actor = "paging-" + Guid.NewGuid().ToString("N");

        // Ten timestamps for 250 entries: 25 entries share each one, so the id tiebreak decides most of the order.
        var created = await client.CreateAllAsync(Enumerable.Range(0, Entries).Select(i =>
        {
            var entry = AuditJson.Minimal(actor, $"2024-03-01T12:00:0{i % 10}Z");
            entry["traceId"] = trace.ToString();
            entry["eventType"] = "PAGE_" + i;
            return entry;
        }).ToList());
        Assert.Equal(Entries, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE trace_id = $1", trace));

        var all = await client.GetPageAsync($"traceId={trace}&limit=1000");
        var expected = all.Ids();
        Assert.Equal(Entries, (long)all["total"]!);
        Assert.Equal(created.InApiOrder().Select(e => (string)e["id"]!), expected);

        var walked = new List<string>();
        for (var offset = 0; offset < Entries; offset += PageSize)
        {
            var page = await client.GetPageAsync($"traceId={trace}&limit={PageSize}&offset={offset}");
            Assert.Equal(Entries, (long)page["total"]!);
            Assert.Equal(PageSize, (int)page["limit"]!);
            Assert.Equal(offset, (int)page["offset"]!);
            Assert.Equal(Math.Min(PageSize, Entries - offset), page["logs"]!.AsArray().Count);
            walked.AddRange(page.Ids());
        }

        Assert.Equal(expected, walked);
        Assert.Equal(Entries, walked.Distinct().Count());
        Assert.Equal(created.Select(e => (string)e["id"]!).Order(StringComparer.Ordinal), walked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Page_past_the_end_is_empty_with_the_right_total()
    {
        var trace = Guid.NewGuid();
        var actor = "paging-" + Guid.NewGuid().ToString("N");
        await client.CreateAllAsync(Enumerable.Range(0, 20).Select(i =>
        {
            var entry = AuditJson.Minimal(actor, $"2024-03-01T12:00:0{i % 3}Z");
            entry["traceId"] = trace.ToString();
            return entry;
        }).ToList());

        foreach (var offset in new[] { 20, 21, 100_000 })
        {
            var page = await client.GetPageAsync($"traceId={trace}&limit={PageSize}&offset={offset}");

            Assert.Empty(page["logs"]!.AsArray());
            Assert.Equal(20L, (long)page["total"]!);
            Assert.Equal(offset, (int)page["offset"]!);
        }
    }

    [Fact]
    public async Task Last_partial_page_holds_the_remainder()
    {
        var trace = Guid.NewGuid();
        var actor = "paging-" + Guid.NewGuid().ToString("N");
        var created = (await client.CreateAllAsync(Enumerable.Range(0, 12).Select(_ =>
        {
            var entry = AuditJson.Minimal(actor);
            entry["traceId"] = trace.ToString();
            return entry;
        }).ToList())).InApiOrder();

        var page = await client.GetPageAsync($"traceId={trace}&limit={PageSize}&offset={PageSize}");

        Assert.Equal(created.Skip(PageSize).Select(e => (string)e["id"]!), page.Ids());
        Assert.Equal(12L, (long)page["total"]!);
    }
}
