using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// POST /api/audit-logs refuses every invalid request with the Argus error shape, naming the
/// offending field, and nothing of a refused request reaches storage. Valid edge cases are accepted.
/// </summary>
/// <remarks>
/// Each case carries a unique marker (in actorId and targetId where the case leaves them valid),
/// and the tests of this class run one after another on their own database, so "nothing stored"
/// is checked both by marker and by the table's total.
/// </remarks>
public sealed class ValidationTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    /// <summary>Replaced by the case's unique marker.</summary>
    private const string M = "{M}";

    /// <summary>Replaced by bytes that are not UTF-8 (0xC3 0x28: a lead byte without its continuation).</summary>
    private const string BadUtf8 = "{BAD}";

    private static readonly (string Name, string Raw)[] ValidFields =
    [
        ("timestamp", S("2024-01-20T10:00:00Z")),
        ("status", S("SUCCESS")),
        ("actorType", S("SERVICE")),
        ("actorId", S(M)),
        ("targetType", S("RESOURCE")),
        ("targetId", S(M)),
    ];

    /// <summary>Refusals of one field: case -> (body template, field the refusal must name).</summary>
    private static readonly Dictionary<string, (string Json, string Field)> FieldCases = new()
    {
        // Required fields missing or null.
        ["timestamp missing"] = (Json(("timestamp", null)), "timestamp"),
        ["status missing"] = (Json(("status", null)), "status"),
        ["actorType missing"] = (Json(("actorType", null)), "actorType"),
        ["actorId missing"] = (Json(("actorId", null)), "actorId"),
        ["targetType missing"] = (Json(("targetType", null)), "targetType"),
        ["timestamp null"] = (Json(("timestamp", "null")), "timestamp"),
        ["status null"] = (Json(("status", "null")), "status"),
        ["actorType null"] = (Json(("actorType", "null")), "actorType"),
        ["actorId null"] = (Json(("actorId", "null")), "actorId"),
        ["targetType null"] = (Json(("targetType", "null")), "targetType"),

        // Wrong JSON types.
        ["status number"] = (Json(("status", "1")), "status"),
        ["actorId object"] = (Json(("actorId", """{"id": "x"}""")), "actorId"),
        ["actorType array"] = (Json(("actorType", """["SERVICE"]""")), "actorType"),
        ["targetType number"] = (Json(("targetType", "2")), "targetType"),
        ["targetId number"] = (Json(("targetId", "42")), "targetId"),
        ["eventType boolean"] = (Json(("eventType", "true")), "eventType"),
        ["eventAction number"] = (Json(("eventAction", "1")), "eventAction"),
        ["traceId number"] = (Json(("traceId", "550")), "traceId"),
        ["timestamp boolean"] = (Json(("timestamp", "true")), "timestamp"),
        ["timestamp number"] = (Json(("timestamp", "1705744800")), "timestamp"),
        ["requestMetadata string"] = (Json(("requestMetadata", S("{}"))), "requestMetadata"),
        ["responseMetadata number"] = (Json(("responseMetadata", "1")), "responseMetadata"),
        ["additionalMetadata array"] = (Json(("additionalMetadata", """[{"a": 1}]""")), "additionalMetadata"),
        ["additionalMetadata boolean"] = (Json(("additionalMetadata", "false")), "additionalMetadata"),

        // Values outside the enumerations (they are case-sensitive).
        ["status lower-case success"] = (Json(("status", S("success"))), "status"),
        ["status unknown"] = (Json(("status", S("PARTIAL"))), "status"),
        ["status empty"] = (Json(("status", S(""))), "status"),
        ["actorType unknown"] = (Json(("actorType", S("USER"))), "actorType"),
        ["actorType lower-case"] = (Json(("actorType", S("admin"))), "actorType"),
        ["targetType unknown"] = (Json(("targetType", S("DATABASE"))), "targetType"),
        ["eventAction unknown"] = (Json(("eventAction", S("PATCH"))), "eventAction"),
        ["eventAction lower-case"] = (Json(("eventAction", S("read"))), "eventAction"),
        ["status with surrounding space"] = (Json(("status", S(" SUCCESS"))), "status"),

        // traceId must be a hyphenated UUID.
        ["traceId abc"] = (Json(("traceId", S("abc"))), "traceId"),
        ["traceId without dashes"] = (Json(("traceId", S("550e8400e29b41d4a716446655440000"))), "traceId"),
        ["traceId in braces"] = (Json(("traceId", S("{550e8400-e29b-41d4-a716-446655440000}"))), "traceId"),
        ["traceId too short"] = (Json(("traceId", S("550e8400-e29b-41d4-a716-44665544000"))), "traceId"),
        ["traceId empty"] = (Json(("traceId", S(""))), "traceId"),

        // timestamp must be RFC 3339 with an offset.
        ["timestamp with space"] = (Json(("timestamp", S("2024-01-20 10:00:00"))), "timestamp"),
        ["timestamp date only"] = (Json(("timestamp", S("2024-01-20"))), "timestamp"),
        ["timestamp month 13"] = (Json(("timestamp", S("2024-13-01T00:00:00Z"))), "timestamp"),
        ["timestamp February 30"] = (Json(("timestamp", S("2024-02-30T00:00:00Z"))), "timestamp"),
        ["timestamp February 29 of a common year"] = (Json(("timestamp", S("2023-02-29T00:00:00Z"))), "timestamp"),
        ["timestamp without offset"] = (Json(("timestamp", S("2024-01-20T10:00:00"))), "timestamp"),
        ["timestamp hour 25"] = (Json(("timestamp", S("2024-01-20T25:00:00Z"))), "timestamp"),
        ["timestamp minute 60"] = (Json(("timestamp", S("2024-01-20T10:60:00Z"))), "timestamp"),
        ["timestamp leap second"] = (Json(("timestamp", S("2016-12-31T23:59:60Z"))), "timestamp"),
        ["timestamp without seconds"] = (Json(("timestamp", S("2024-01-20T10:00Z"))), "timestamp"),
        ["timestamp empty fraction"] = (Json(("timestamp", S("2024-01-20T10:00:00.Z"))), "timestamp"),
        ["timestamp offset without colon"] = (Json(("timestamp", S("2024-01-20T10:00:00+0200"))), "timestamp"),
        ["timestamp offset hour 24"] = (Json(("timestamp", S("2024-01-20T10:00:00+24:00"))), "timestamp"),
        ["timestamp basic format"] = (Json(("timestamp", S("20240120T100000Z"))), "timestamp"),
        ["timestamp trailing space"] = (Json(("timestamp", S("2024-01-20T10:00:00Z "))), "timestamp"),
        ["timestamp beyond year 9999 in UTC"] = (Json(("timestamp", S("9999-12-31T23:30:00-01:00"))), "timestamp"),
        ["timestamp empty"] = (Json(("timestamp", S(""))), "timestamp"),

        // Text fields: not empty or blank, bounded, no NUL.
        ["actorId empty"] = (Json(("actorId", S(""))), "actorId"),
        ["actorId blank"] = (Json(("actorId", S("   "))), "actorId"),
        ["actorId tab and newline"] = (Json(("actorId", S(@"\t\n"))), "actorId"),
        ["actorId 513 characters"] = (Json(("actorId", S(new string('a', 513)))), "actorId"),
        ["eventType 129 characters"] = (Json(("eventType", S(new string('E', 129)))), "eventType"),
        ["eventType blank"] = (Json(("eventType", S(" "))), "eventType"),
        ["targetId 513 characters"] = (Json(("targetId", S(new string('t', 513)))), "targetId"),
        ["targetId empty"] = (Json(("targetId", S("")), ("eventType", S(M))), "targetId"),

        // Request-context fields: bounded text, an address, an HTTP method token, path, status and latency.
        ["source 257 characters"] = (Json(("source", S(new string('s', 257)))), "source"),
        ["source empty"] = (Json(("source", S(""))), "source"),
        ["source number"] = (Json(("source", "1")), "source"),
        ["tenantId 129 characters"] = (Json(("tenantId", S(new string('t', 129)))), "tenantId"),
        ["tenantId blank"] = (Json(("tenantId", S("  "))), "tenantId"),
        ["requestId 129 characters"] = (Json(("requestId", S(new string('r', 129)))), "requestId"),
        ["requestId object"] = (Json(("requestId", "{}")), "requestId"),
        ["userAgent 513 characters"] = (Json(("userAgent", S(new string('u', 513)))), "userAgent"),
        ["userAgent empty"] = (Json(("userAgent", S(""))), "userAgent"),
        ["ipAddress short form"] = (Json(("ipAddress", S("10.1"))), "ipAddress"),
        ["ipAddress with a leading zero"] = (Json(("ipAddress", S("010.0.0.1"))), "ipAddress"),
        ["ipAddress octet over 255"] = (Json(("ipAddress", S("192.0.2.256"))), "ipAddress"),
        ["ipAddress with a prefix"] = (Json(("ipAddress", S("10.0.0.0/8"))), "ipAddress"),
        ["ipAddress with a zone"] = (Json(("ipAddress", S("fe80::1%eth0"))), "ipAddress"),
        ["ipAddress with a port"] = (Json(("ipAddress", S("[2001:db8::1]:443"))), "ipAddress"),
        ["ipAddress host name"] = (Json(("ipAddress", S("localhost"))), "ipAddress"),
        ["ipAddress empty"] = (Json(("ipAddress", S(""))), "ipAddress"),
        ["ipAddress number"] = (Json(("ipAddress", "3232235777")), "ipAddress"),
        ["httpMethod with a space"] = (Json(("httpMethod", S("GE T"))), "httpMethod"),
        ["httpMethod with a slash"] = (Json(("httpMethod", S("GET/1"))), "httpMethod"),
        ["httpMethod 17 characters"] = (Json(("httpMethod", S(new string('M', 17)))), "httpMethod"),
        ["httpMethod empty"] = (Json(("httpMethod", S(""))), "httpMethod"),
        ["httpMethod number"] = (Json(("httpMethod", "1")), "httpMethod"),
        ["httpPath relative"] = (Json(("httpPath", S("users/42"))), "httpPath"),
        ["httpPath 2049 characters"] = (Json(("httpPath", S("/" + new string('p', 2048)))), "httpPath"),
        ["httpPath empty"] = (Json(("httpPath", S(""))), "httpPath"),
        ["httpPath with NUL"] = (Json(("httpPath", S(@"/a\u0000"))), "httpPath"),
        ["httpStatus 99"] = (Json(("httpStatus", "99")), "httpStatus"),
        ["httpStatus 600"] = (Json(("httpStatus", "600")), "httpStatus"),
        ["httpStatus negative"] = (Json(("httpStatus", "-200")), "httpStatus"),
        ["httpStatus as a string"] = (Json(("httpStatus", S("200"))), "httpStatus"),
        ["httpStatus with a fraction"] = (Json(("httpStatus", "200.5")), "httpStatus"),
        ["httpStatus with an exponent"] = (Json(("httpStatus", "2e2")), "httpStatus"),
        ["httpStatus boolean"] = (Json(("httpStatus", "true")), "httpStatus"),
        ["latencyMs negative"] = (Json(("latencyMs", "-0.5")), "latencyMs"),
        ["latencyMs as a string"] = (Json(("latencyMs", S("12"))), "latencyMs"),
        ["latencyMs beyond a double"] = (Json(("latencyMs", "1e400")), "latencyMs"),
        ["latencyMs object"] = (Json(("latencyMs", "{}")), "latencyMs"),

        // A field given twice, however it is spelled.
        ["status twice"] = (Twice(Json(), "status", S("FAILURE")), "status"),
        ["actorId twice"] = (Twice(Json(), "actorId", S("other")), "actorId"),
        ["traceId twice with the same value"] = (Twice(Json(("traceId", S("550e8400-e29b-41d4-a716-446655440000"))), "traceId", S("550e8400-e29b-41d4-a716-446655440000")), "traceId"),
        ["tenantId twice"] = (Twice(Json(("tenantId", S("a"))), "tenantId", S("b")), "tenantId"),
        ["httpStatus twice"] = (Twice(Json(("httpStatus", "200")), "httpStatus", "200"), "httpStatus"),
        ["requestMetadata twice"] = (Twice(Json(("requestMetadata", "{}")), "requestMetadata", """{"a": 1}"""), "requestMetadata"),
        ["status twice, once escaped"] = (Twice(Json(), @"st\u0061tus", S("FAILURE")), "status"),
        ["timestamp twice, first null"] = (Twice(Json(("timestamp", "null")), "timestamp", S("2024-01-20T10:00:00Z")), "timestamp"),

        // The NUL character, which Postgres text and jsonb cannot hold.
        ["NUL in actorId"] = (Json(("actorId", S(@"a\u0000" + M))), "actorId"),
        ["NUL in eventType"] = (Json(("eventType", S(@"EV\u0000"))), "eventType"),
        ["NUL in targetId"] = (Json(("targetId", S(@"\u0000")), ("eventType", S(M))), "targetId"),
        ["NUL in a metadata string"] = (Json(("requestMetadata", """{"note": "a\u0000b"}""")), "requestMetadata"),
        ["NUL in a nested metadata array"] = (Json(("responseMetadata", """{"list": [1, {"deep": ["\u0000"]}]}""")), "responseMetadata"),
        ["NUL in a metadata key"] = (Json(("additionalMetadata", """{"ke\u0000y": 1}""")), "additionalMetadata"),

        // Unpaired UTF-16 surrogates, which are not Unicode text.
        ["lone high surrogate in actorId"] = (Json(("actorId", S(@"a\ud800"))), "actorId"),
        ["lone low surrogate in actorId"] = (Json(("actorId", S(@"\udc00b"))), "actorId"),
        ["reversed surrogate pair in targetId"] = (Json(("targetId", S(@"\ude00\ud83d")), ("eventType", S(M))), "targetId"),
        ["lone surrogate in a metadata string"] = (Json(("requestMetadata", """{"s": "x\ud800"}""")), "requestMetadata"),
        ["lone surrogate in a metadata key"] = (Json(("responseMetadata", """{"\udbff": true}""")), "responseMetadata"),

        // Bytes that are not UTF-8.
        ["invalid UTF-8 in actorId"] = (Json(("actorId", S("a" + BadUtf8))), "actorId"),
        ["invalid UTF-8 in status"] = (Json(("status", S("SUCC" + BadUtf8))), "status"),
        ["invalid UTF-8 in a metadata string"] = (Json(("requestMetadata", "{\"s\": \"" + BadUtf8 + "\"}")), "requestMetadata"),
        ["invalid UTF-8 in a metadata key"] = (Json(("additionalMetadata", "{\"k" + BadUtf8 + "\": 1}")), "additionalMetadata"),
    };

    /// <summary>Refusals of the body as a whole: case -> body template.</summary>
    private static readonly Dictionary<string, string> BodyCases = new()
    {
        ["truncated inside a value"] = $$"""{"actorId": "{{M}}", "timestamp": "2024-""",
        ["truncated after the last field"] = Json()[..^1],
        ["trailing garbage"] = Json() + " x",
        ["a second object"] = Json() + " {}",
        ["an array"] = "[" + Json() + "]",
        ["a string"] = S(M),
        ["a number"] = "42",
        ["null"] = "null",
        ["empty body"] = "",
        ["white space only"] = "  \n ",
        ["single-quoted names"] = Json().Replace("\"status\"", "'status'", StringComparison.Ordinal),
        ["trailing comma"] = Json()[..^1] + ",}",
        ["a comment"] = Json()[..^1] + " /* note */}",
        ["raw control character in a string"] = Json(("eventType", "\"a\tb\"")),
        ["invalid UTF-8 between tokens"] = Json() + BadUtf8,
        ["metadata nested deeper than 64 levels"] = Json(("requestMetadata", string.Concat(Enumerable.Repeat("{\"a\": ", 70)) + "1" + new string('}', 70))),
    };

    private readonly HttpClient client = fixture.Client;

    public static TheoryData<string> FieldCaseNames => Names(FieldCases.Keys);

    public static TheoryData<string> BodyCaseNames => Names(BodyCases.Keys);

    [Theory]
    [MemberData(nameof(FieldCaseNames))]
    public async Task Invalid_field_is_refused_with_400_naming_the_field(string @case)
    {
        var (json, field) = FieldCases[@case];
        var marker = NewMarker();
        var before = await TotalRowsAsync();

        using var response = await client.PostEntryAsync(Body(json, marker));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
        Assert.StartsWith("Validation error: ", error, StringComparison.Ordinal);
        await AssertNothingStoredAsync(marker, before);
    }

    [Theory]
    [MemberData(nameof(BodyCaseNames))]
    public async Task Malformed_body_is_refused_with_400_naming_the_body(string @case)
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();

        using var response = await client.PostEntryAsync(Body(BodyCases[@case], marker));

        // The message of a JSON syntax error says where it is, not "body": see the skipped test below.
        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body", messageNamesField: false);
        Assert.StartsWith("Validation error: ", error, StringComparison.Ordinal);
        await AssertNothingStoredAsync(marker, before);
    }

    [Fact]
    public async Task Malformed_json_error_message_names_the_body()
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();

        using var response = await client.PostEntryAsync(Body(BodyCases["truncated inside a value"], marker));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body");
        await AssertNothingStoredAsync(marker, before);
    }

    [Fact]
    public async Task Invalid_utf8_in_an_ignored_field_is_refused()
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();

        using var response = await client.PostEntryAsync(Body(Json(("comment", S("x" + BadUtf8))), marker));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body", messageNamesField: false);
        await AssertNothingStoredAsync(marker, before);
    }

    [Fact]
    public async Task Body_over_64_KiB_is_refused_with_413_naming_the_body()
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();
        var json = Padded(Json().Replace(M, marker, StringComparison.Ordinal), 65537);

        using var response = await client.PostEntryAsync(AuditJson.Content(json));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Contains("65536", error, StringComparison.Ordinal);
        await AssertNothingStoredAsync(marker, before);
    }

    [Fact]
    public async Task Chunked_body_over_64_KiB_is_refused_with_413_naming_the_body()
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();
        var bytes = Encoding.UTF8.GetBytes(Padded(Json().Replace(M, marker, StringComparison.Ordinal), 200_000));

        // A stream of unknown length goes out chunked: the limit must hold without a Content-Length.
        using var content = new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostEntryAsync(content);

        Assert.Null(response.RequestMessage?.Content?.Headers.ContentLength);
        await AuditApi.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
        await AssertNothingStoredAsync(marker, before);
    }

    [Fact]
    public async Task Body_of_exactly_64_KiB_is_accepted()
    {
        var marker = NewMarker();
        var json = Padded(Json().Replace(M, marker, StringComparison.Ordinal), 65536);

        using var response = await client.PostEntryAsync(AuditJson.Content(json));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1L, await RowsWithMarkerAsync(marker));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Non_json_content_type_is_refused_with_415(string? contentType)
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Json().Replace(M, marker, StringComparison.Ordinal)));
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await client.PostEntryAsync(content);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type");
        await AssertNothingStoredAsync(marker, before);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("APPLICATION/JSON")]
    [InlineData("application/vnd.argus+json")]
    public async Task Json_content_types_are_accepted(string contentType)
    {
        var marker = NewMarker();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Json().Replace(M, marker, StringComparison.Ordinal)));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostEntryAsync(content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1L, await RowsWithMarkerAsync(marker));
    }

    [Theory]
    [InlineData(256, 'k')]
    [InlineData(0, 'k')]
    [InlineData(8, ' ')]
    [InlineData(8, '\t')]
    public async Task Invalid_idempotency_key_is_refused_with_400_naming_the_header(int length, char filler)
    {
        var marker = NewMarker();
        var before = await TotalRowsAsync();
        var key = length == 0 ? "" : "k" + new string(filler, length - 2) + "k";

        using var response = await client.PostEntryAsync(Body(Json(), marker), idempotencyKey: key);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "Idempotency-Key");
        await AssertNothingStoredAsync(marker, before);
    }

    [Fact]
    public async Task Idempotency_key_of_255_visible_characters_is_accepted()
    {
        var marker = NewMarker();
        var key = marker + new string('~', 255 - marker.Length);

        using var response = await client.PostEntryAsync(Body(Json(), marker), idempotencyKey: key);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1L, await RowsWithMarkerAsync(marker));
    }

    [Theory]
    [InlineData("2024-01-20T10:00:00Z", "2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T10:00:00.123456Z", "2024-01-20T10:00:00.123456Z")]
    [InlineData("2024-01-20T12:00:00+02:00", "2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T05:30:00.5-04:30", "2024-01-20T10:00:00.500000Z")]
    [InlineData("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z")]
    [InlineData("2024-01-20T10:00:00.123456789Z", "2024-01-20T10:00:00.123456Z")]
    [InlineData("2024-01-20T10:00:00.9999999Z", "2024-01-20T10:00:00.999999Z")]
    [InlineData("2024-01-20T10:00:00.0000009Z", "2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20t10:00:00z", "2024-01-20T10:00:00Z")]
    [InlineData("2024-01-20T10:00:00-00:00", "2024-01-20T10:00:00Z")]
    [InlineData("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z")]
    public async Task Valid_timestamp_is_accepted_and_returned_in_utc_with_at_most_microseconds(string sent, string expected)
    {
        var entry = AuditJson.Minimal(timestamp: sent);

        var created = await client.CreateAsync(entry);

        Assert.Equal(expected, (string?)created["timestamp"]);
        var stored = await client.GetPageAsync($"actorId={Uri.EscapeDataString((string)entry["actorId"]!)}");
        Assert.Equal(expected, (string?)Assert.Single(stored["logs"]!.AsArray())!["timestamp"]);
    }

    [Fact]
    public async Task Optional_fields_given_as_null_are_accepted_and_left_out()
    {
        var entry = AuditJson.Minimal();
        foreach (var optional in new[]
        {
            "traceId", "eventType", "eventAction", "targetId", "requestMetadata", "responseMetadata", "additionalMetadata",
            "source", "tenantId", "requestId", "ipAddress", "userAgent", "httpMethod", "httpPath", "httpStatus", "latencyMs",
        })
        {
            entry[optional] = null;
        }

        var created = await client.CreateAsync(entry);

        Assert.Equal(
            ["actorId", "actorType", "createdAt", "id", "status", "targetType", "timestamp"],
            created.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE actor_id = $1 AND trace_id IS NULL AND event_type IS NULL AND event_action IS NULL " +
            "AND target_id IS NULL AND request_metadata IS NULL AND response_metadata IS NULL AND additional_metadata IS NULL " +
            "AND source IS NULL AND tenant_id IS NULL AND request_id IS NULL AND ip_address IS NULL AND user_agent IS NULL " +
            "AND http_method IS NULL AND http_path IS NULL AND http_status IS NULL AND latency_ms IS NULL",
            (string)entry["actorId"]!));
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        var entry = AuditJson.Minimal();
        entry["severity"] = "HIGH";
        entry["tags"] = new JsonArray("a", 1, null, new JsonObject { ["b"] = new JsonArray() });
        entry["nested"] = JsonNode.Parse("""{"status": "NOT-A-STATUS", "actorId": "", "deep": {"x": [1, 2, {"y": null}]}}""");
        entry["Status"] = "lower/upper case names are different fields";

        var created = await client.CreateAsync(entry);

        Assert.Equal("SUCCESS", (string?)created["status"]);
        Assert.Equal((string?)entry["actorId"], (string?)created["actorId"]);
        Assert.DoesNotContain(created, p => p.Key is "severity" or "tags" or "nested" or "Status");
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", (string)entry["actorId"]!));
    }

    [Fact]
    public async Task Id_and_createdAt_sent_by_the_client_are_ignored()
    {
        var clientId = Guid.NewGuid().ToString();
        var entry = AuditJson.Minimal();
        entry["id"] = clientId;
        entry["createdAt"] = "2000-01-01T00:00:00Z";

        var created = await client.CreateAsync(entry);

        Assert.NotEqual(clientId, (string?)created["id"]);
        Assert.NotEqual("2000-01-01T00:00:00Z", (string?)created["createdAt"]);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", Guid.Parse(clientId)));
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE id = $1 AND created_at > '2020-01-01'", Guid.Parse((string)created["id"]!)));
    }

    [Fact]
    public async Task Text_fields_at_their_length_limits_are_accepted()
    {
        var marker = NewMarker();
        var actorId = marker + new string('a', 512 - marker.Length);
        var entry = AuditJson.Minimal(actorId);
        entry["eventType"] = new string('E', 128);
        entry["targetId"] = new string('t', 512);
        entry["source"] = new string('s', 256);
        entry["tenantId"] = new string('n', 128);
        entry["requestId"] = new string('r', 128);
        entry["userAgent"] = new string('u', 512);
        entry["httpMethod"] = new string('M', 16);
        entry["httpPath"] = "/" + new string('p', 2047);
        entry["ipAddress"] = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        entry["httpStatus"] = 599;

        var created = await client.CreateAsync(entry);

        Assert.Equal(512, ((string)created["actorId"]!).Length);
        Assert.Equal(new string('E', 128), (string?)created["eventType"]);
        Assert.Equal(new string('t', 512), (string?)created["targetId"]);
        foreach (var field in new[] { "source", "tenantId", "requestId", "userAgent", "httpMethod", "httpPath", "ipAddress" })
        {
            Assert.Equal((string?)entry[field], (string?)created[field]);
        }

        Assert.Equal(599, (int)created["httpStatus"]!);
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actorId));
    }

    [Fact]
    public async Task Every_enumeration_value_is_accepted()
    {
        var actorId = NewMarker();
        foreach (var (status, actorType, targetType, eventAction) in new[]
        {
            ("SUCCESS", "SERVICE", "SERVICE", "CREATE"),
            ("FAILURE", "ADMIN", "RESOURCE", "READ"),
            ("SUCCESS", "MEMBER", "SERVICE", "UPDATE"),
            ("FAILURE", "SYSTEM", "RESOURCE", "DELETE"),
        })
        {
            var entry = AuditJson.Minimal(actorId);
            entry["status"] = status;
            entry["actorType"] = actorType;
            entry["targetType"] = targetType;
            entry["eventAction"] = eventAction;
            var created = await client.CreateAsync(entry);
            Assert.Equal(status, (string?)created["status"]);
            Assert.Equal(actorType, (string?)created["actorType"]);
            Assert.Equal(targetType, (string?)created["targetType"]);
            Assert.Equal(eventAction, (string?)created["eventAction"]);
        }

        Assert.Equal(4L, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actorId));
    }

    /// <summary>A JSON string literal of <paramref name="text"/>, taken as already escaped.</summary>
    private static string S(string text) => "\"" + text + "\"";

    /// <summary>The valid entry with some fields replaced, added, or (raw value null) removed.</summary>
    private static string Json(params (string Name, string? Raw)[] changes)
    {
        var fields = ValidFields.ToList();
        foreach (var (name, raw) in changes)
        {
            var index = fields.FindIndex(f => f.Name == name);
            if (raw is null)
            {
                fields.RemoveAt(index);
            }
            else if (index >= 0)
            {
                fields[index] = (name, raw);
            }
            else
            {
                fields.Add((name, raw));
            }
        }

        return "{" + string.Join(", ", fields.Select(f => $"\"{f.Name}\": {f.Raw}")) + "}";
    }

    /// <summary><paramref name="json"/> (an object) with one more member, <paramref name="name"/> again.</summary>
    private static string Twice(string json, string name, string raw) => json[..^1] + $", \"{name}\": {raw}}}";

    /// <summary>The request bytes: marker filled in, invalid UTF-8 inserted.</summary>
    private static ByteArrayContent Body(string template, string marker)
    {
        var text = template.Replace(M, marker, StringComparison.Ordinal);
        var bytes = new List<byte>();
        var parts = text.Split(BadUtf8);
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                bytes.AddRange([0xC3, 0x28]);
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(parts[i]));
        }

        var content = new ByteArrayContent(bytes.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary><paramref name="json"/> (an object) padded with white space before its closing brace to exactly <paramref name="size"/> bytes.</summary>
    private static string Padded(string json, int size)
    {
        var padding = size - Encoding.UTF8.GetByteCount(json);
        Assert.True(padding >= 0);
        return json[..^1] + new string(' ', padding) + "}";
    }

    private static string NewMarker() => "validation-" + Guid.NewGuid().ToString("N");

    private static TheoryData<string> Names(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (var name in names)
        {
            data.Add(name);
        }

        return data;
    }

    private Task<long> TotalRowsAsync() => fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs");

    private Task<long> RowsWithMarkerAsync(string marker) => fixture.Database.ScalarAsync<long>(
        "SELECT count(*) FROM audit_logs WHERE actor_id = $1 OR target_id = $1 OR event_type = $1", marker);

    private async Task AssertNothingStoredAsync(string marker, long totalBefore)
    {
        Assert.Equal(0L, await RowsWithMarkerAsync(marker));
        Assert.Equal(totalBefore, await TotalRowsAsync());
    }

    /// <summary>A stream that does not tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
