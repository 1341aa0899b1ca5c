using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// requestMetadata, responseMetadata and additionalMetadata come back JSON-equal to what was
/// sent, both in the 201 acknowledgement and in later reads (which come from Postgres jsonb).
/// </summary>
public sealed class MetadataTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    /// <summary>case -> a metadata object as a client would send it, spelled exactly so.</summary>
    private static readonly Dictionary<string, string> Cases = new()
    {
        ["empty object"] = "{}",
        ["nested objects"] = """{"a": {"b": {"c": {"d": "deep", "e": {}}}}, "sibling": {"x": 1}}""",
        ["arrays"] = """{"list": [1, "two", [3, [4, []]], {"five": 5}, null], "empty": [], "fields": ["name", "address"]}""",
        ["unicode"] = """{"emoji": "😀🎉👩‍👩‍👧", "cjk": "漢字テスト한국어", "mixed": "Ünïcødé ∑ π", "rtl": "שלום"}""",
        ["unicode as escapes"] = """{"emoji": "\ud83d\ude00", "accent": "caf\u00e9", "cjk": "\u6f22\u5b57", "\u00fcber": "key escaped"}""",
        ["escaped quotes and control characters"] = """{"quote": "say \"hi\"", "path": "C:\\temp\\new", "lines": "a\nb\r\n\tc", "slash": "a\/b", "bell": "\u0007", "uni": "\u2028\u2029"}""",
        ["big integers"] = """{"big": 12345678901234567890, "negative": -98765432109876543210, "long": 9223372036854775807, "huge": 123456789012345678901234567890123456789}""",
        ["decimals"] = """{"tenth": 0.1, "trailingZero": 1.50, "negative": -2.500, "tiny": 1e-7, "avogadro": 6.02E23, "exp": 1E+2, "zero": 0, "zeroPoint": 0.0}""",
        ["booleans and nulls"] = """{"t": true, "f": false, "n": null, "list": [null, true, false], "nested": {"n": null}}""",
        ["keys that need care"] = """{"": "empty key", "with space": 1, "a.b": 2, "$ref": 3, "0": 4, "ключ": 5}""",
        ["member order and white space"] = "{ \"z\" :1 ,\n\t\"a\": 2,\"m\"  :  [ 3 ,4 ] }",
        ["seed example"] = """{"schemaId": "schema-123", "requestedFields": ["name", "address"]}""",
        ["deep nesting"] = string.Concat(Enumerable.Repeat("""{"level": [""", 30)) + "\"bottom\"" + string.Concat(Enumerable.Repeat("]}", 30)),
        ["many members"] = "{" + string.Join(", ", Enumerable.Range(0, 300).Select(i => $"\"k{i}\": {i}.{i}")) + "}",
    };

    private readonly HttpClient client = fixture.Client;

    public static TheoryData<string> CaseNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Cases.Keys)
            {
                data.Add(name);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Metadata_round_trips_json_equal(string @case)
    {
        var sent = Cases[@case];
        var actor = "metadata-" + Guid.NewGuid().ToString("N");
        var body = AuditJson.Minimal(actor).ToJsonString()[..^1]
            + $", \"requestMetadata\": {sent}, \"responseMetadata\": {sent}, \"additionalMetadata\": {sent}}}";
        var expected = JsonNode.Parse(sent);

        using var response = await client.PostEntryAsync(AuditJson.Content(body));
        var created = await response.ReadObjectAsync();
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);

        var read = Assert.Single((await client.GetPageAsync($"actorId={actor}"))["logs"]!.AsArray())!.AsObject();
        foreach (var field in new[] { "requestMetadata", "responseMetadata", "additionalMetadata" })
        {
            AssertJsonEqual(expected, created[field], $"201 {field}");
            AssertJsonEqual(expected, read[field], $"GET {field}");
        }
    }

    [Fact]
    public async Task Each_metadata_field_keeps_its_own_value()
    {
        var actor = "metadata-" + Guid.NewGuid().ToString("N");
        var entry = AuditJson.Minimal(actor);
        entry["requestMetadata"] = new JsonObject { ["schemaId"] = "schema-123" };
        entry["responseMetadata"] = new JsonObject { ["decision"] = "ALLOWED", ["fieldsReturned"] = 2 };
        entry["additionalMetadata"] = new JsonObject { ["region"] = "eu-west" };

        await client.CreateAsync(entry);

        var read = Assert.Single((await client.GetPageAsync($"actorId={actor}"))["logs"]!.AsArray())!.AsObject();
        AssertJsonEqual(entry["requestMetadata"], read["requestMetadata"], "requestMetadata");
        AssertJsonEqual(entry["responseMetadata"], read["responseMetadata"], "responseMetadata");
        AssertJsonEqual(entry["additionalMetadata"], read["additionalMetadata"], "additionalMetadata");
    }

    [Fact]
    public async Task Stored_entry_reads_back_exactly_as_acknowledged()
    {
        var actor = "metadata-" + Guid.NewGuid().ToString("N");
        var entry = JsonNode.Parse(AuditJson.SeedExample)!.AsObject();
        entry["traceId"] = Guid.NewGuid().ToString();
        entry["actorId"] = actor;
        entry["timestamp"] = "2024-01-20T12:00:00.1234567+02:00";
        entry["additionalMetadata"] = JsonNode.Parse("""{"n": 1.50, "s": "\u00e9", "list": [1, {"a": null}]}""");

        var created = await client.CreateAsync(entry);

        var read = Assert.Single((await client.GetPageAsync($"actorId={actor}"))["logs"]!.AsArray())!;
        AssertJsonEqual(created, read, "the whole entry");
        Assert.Equal("2024-01-20T10:00:00.123456Z", (string?)read["timestamp"]);
    }

    [Fact]
    public async Task Metadata_number_postgres_cannot_hold_is_refused_with_400_naming_the_field()
    {
        var actor = "metadata-" + Guid.NewGuid().ToString("N");
        var body = AuditJson.Minimal(actor).ToJsonString()[..^1] + ", \"responseMetadata\": {\"n\": 1e1000000}}";

        using var response = await client.PostEntryAsync(AuditJson.Content(body));

        await AuditApi.AssertErrorAsync(response, System.Net.HttpStatusCode.BadRequest, "responseMetadata");
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actor));
    }

    [Fact]
    public async Task Entry_that_storage_refuses_fails_alone_and_its_neighbours_are_stored()
    {
        // Sent together, the entries share commits: the one Postgres refuses must not take the others down.
        var actor = "metadata-" + Guid.NewGuid().ToString("N");
        var good = Enumerable.Range(0, 20).Select(_ => AuditJson.Minimal(actor).ToJsonString()).ToList();
        var bad = AuditJson.Minimal(actor).ToJsonString()[..^1] + ", \"requestMetadata\": {\"n\": 1e-1000000}}";

        var responses = await Task.WhenAll(good.Append(bad).Select(json => client.PostEntryAsync(AuditJson.Content(json))));

        try
        {
            Assert.All(responses.Take(20), r => Assert.Equal(System.Net.HttpStatusCode.Created, r.StatusCode));
            Assert.InRange((int)responses[20].StatusCode, 400, 499);
            Assert.Equal(20L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actor));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    private static void AssertJsonEqual(JsonNode? expected, JsonNode? actual, string what) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{what}: expected {expected?.ToJsonString()}, got {actual?.ToJsonString()}");
}
