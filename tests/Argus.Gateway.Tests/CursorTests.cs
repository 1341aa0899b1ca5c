using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// Keyset paging on one node: every page but the last carries <c>nextCursor</c>, following them
/// returns what one big page returns, totals are computed when they are asked for, and a cursor
/// is refused, naming <c>cursor</c>, wherever it is not valid.
/// </summary>
public sealed class CursorTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Following_next_cursors_returns_what_one_big_page_returns()
    {
        var actor = NewActor();
        await CreateAsync(actor, 40);
        var all = (await client.GetPageAsync($"actorId={actor}&limit=1000")).Ids();

        var first = await client.GetPageAsync($"actorId={actor}&limit=6");
        Assert.Equal(["logs", "total", "limit", "offset", "nextCursor"], first.Select(p => p.Key));
        Assert.Equal(40L, (long)first["total"]!);
        var walked = first.Ids();
        var page = first;
        while (page["nextCursor"] is { } next)
        {
            page = await client.GetPageAsync($"actorId={actor}&limit=6&cursor={(string)next!}");
            // A cursor page's position is its cursor: it carries no offset.
            string[] shape = page["nextCursor"] is null ? ["logs", "limit"] : ["logs", "limit", "nextCursor"];
            Assert.Equal(shape, page.Select(p => p.Key));
            walked.AddRange(page.Ids());
        }

        Assert.Equal(all, walked);
        Assert.Equal(4, page["logs"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_page_that_ends_with_the_last_match_has_no_next_cursor()
    {
        var actor = NewActor();
        await CreateAsync(actor, 10);

        var exact = await client.GetPageAsync($"actorId={actor}&limit=10");
        var past = await client.GetPageAsync($"actorId={actor}&limit=10&offset=10");
        var oneShort = await client.GetPageAsync($"actorId={actor}&limit=9");

        Assert.Null(exact["nextCursor"]);
        Assert.Null(past["nextCursor"]);
        var last = await client.GetPageAsync($"actorId={actor}&limit=9&cursor={(string)oneShort["nextCursor"]!}");
        Assert.Single(last.Ids());
        Assert.Null(last["nextCursor"]);
    }

    [Fact]
    public async Task IncludeTotal_decides_whether_a_page_is_counted()
    {
        var actor = NewActor();
        await CreateAsync(actor, 5);
        var cursor = (string)(await client.GetPageAsync($"actorId={actor}&limit=2"))["nextCursor"]!;

        Assert.Null((await client.GetPageAsync($"actorId={actor}&limit=2&includeTotal=false"))["total"]);
        Assert.Equal(5L, (long)(await client.GetPageAsync($"actorId={actor}&limit=2&includeTotal=true"))["total"]!);
        Assert.Null((await client.GetPageAsync($"actorId={actor}&limit=2&cursor={cursor}"))["total"]);
        Assert.Equal(5L, (long)(await client.GetPageAsync($"actorId={actor}&limit=2&cursor={cursor}&includeTotal=true"))["total"]!);
    }

    [Theory]
    [InlineData("includeTotal=yes", "includeTotal")]
    [InlineData("includeTotal=TRUE", "includeTotal")]
    [InlineData("includeTotal=1", "includeTotal")]
    [InlineData("cursor=abc&offset=1", "cursor")]
    [InlineData("cursor=abc", "cursor")]
    public async Task Invalid_paging_parameters_are_refused_with_400_naming_them(string query, string field)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{query}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task A_cursor_longer_than_any_Argus_issues_is_refused()
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?cursor={new string('A', 300)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "cursor");
    }

    [Fact]
    public async Task A_cursor_continues_only_the_filters_it_came_from()
    {
        var actor = NewActor();
        await CreateAsync(actor, 4);
        var cursor = (string)(await client.GetPageAsync($"actorId={actor}&limit=2"))["nextCursor"]!;

        foreach (var other in new[] { $"actorId={actor}&status=SUCCESS", $"actorId={NewActor()}", "", $"actorId={actor}&since=2000-01-01T00:00:00Z" })
        {
            using var response = await client.GetAsync($"{AuditApi.Path}?{other}&cursor={cursor}");
            await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "cursor");
        }

        // The page size may change from page to page: it is not a filter.
        Assert.Equal(2, (await client.GetPageAsync($"actorId={actor}&limit=50&cursor={cursor}")).Ids().Count);
    }

    private async Task CreateAsync(string actor, int count) =>
        await client.CreateAllAsync(Enumerable.Range(0, count).Select(i => AuditJson.Minimal(actor, $"2024-08-01T00:00:0{i % 3}Z")).ToList());

    private static string NewActor() => "cursor-" + Guid.NewGuid().ToString("N");
}
