using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// The request-context fields (source, tenantId, requestId, ipAddress, userAgent, httpMethod,
/// httpPath, httpStatus, latencyMs): stored as sent (addresses and methods in canonical form),
/// returned by id and in pages, and usable as filters alone or with the others.
/// </summary>
/// <remarks>
/// Tests write unique sources, tenants, request ids, addresses, methods and paths. HTTP statuses
/// cannot be unique, so within this class (whose database is its own) only the filter test uses
/// <see cref="FilteredStatus"/> and <see cref="OtherStatus"/>.
/// </remarks>
public sealed class RequestContextTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const int FilteredStatus = 418;

    private const int OtherStatus = 451;

    private readonly HttpClient client = fixture.Client;

    public static TheoryData<string> FilterNames => new() { "source", "tenantId", "requestId", "ipAddress", "httpMethod", "httpPath", "httpStatus" };

    [Fact]
    public async Task Every_field_round_trips_through_post_get_by_id_and_list()
    {
        var unique = Guid.NewGuid().ToString("N");
        var sent = WithContext(AuditJson.Minimal(), unique);
        sent["ipAddress"] = "2001:0DB8:0000:0000:0000:0000:A" + unique[..3].ToUpperInvariant() + ":0001";
        sent["httpMethod"] = "patch";

        var created = await client.CreateAsync(sent);

        var expected = sent.DeepClone().AsObject();
        expected["ipAddress"] = "2001:db8::a" + unique[..3] + ":1";
        expected["httpMethod"] = "PATCH";
        foreach (var (name, value) in expected)
        {
            Assert.True(JsonNode.DeepEquals(value, created[name]), $"{name}: sent {value?.ToJsonString()}, acknowledged {created[name]?.ToJsonString()}");
        }

        var byId = await client.GetEntryAsync(Guid.Parse((string)created["id"]!));
        Assert.True(JsonNode.DeepEquals(created, byId), $"{created.ToJsonString()} != {byId.ToJsonString()}");
        var page = await client.GetPageAsync($"tenantId={sent["tenantId"]}");
        var listed = Assert.Single(page["logs"]!.AsArray())!;
        Assert.True(JsonNode.DeepEquals(created, listed), $"{created.ToJsonString()} != {listed.ToJsonString()}");

        // The columns hold the values themselves, typed: the address as inet, the status as a number.
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE id = $1 AND source = $2 AND tenant_id = $3 AND request_id = $4 " +
            "AND ip_address = $5::inet AND masklen(ip_address) = 128 AND user_agent = $6 AND http_method = 'PATCH' AND http_path = $7 " +
            "AND http_status = $8 AND latency_ms = $9",
            Guid.Parse((string)created["id"]!), (string)sent["source"]!, (string)sent["tenantId"]!, (string)sent["requestId"]!,
            (string)expected["ipAddress"]!, (string)sent["userAgent"]!, (string)sent["httpPath"]!, (short)(int)sent["httpStatus"]!,
            (double)sent["latencyMs"]!));
    }

    [Fact]
    public async Task Ipv4_address_and_fractional_latency_are_returned_as_sent()
    {
        var entry = WithContext(AuditJson.Minimal(), Guid.NewGuid().ToString("N"));
        entry["ipAddress"] = "198.51.100.7";
        entry["latencyMs"] = 0.125;

        var created = await client.CreateAsync(entry);

        var stored = await client.GetEntryAsync(Guid.Parse((string)created["id"]!));
        Assert.Equal("198.51.100.7", (string?)stored["ipAddress"]);
        Assert.Equal(0.125, (double)stored["latencyMs"]!);
    }

    [Theory]
    [MemberData(nameof(FilterNames))]
    public async Task Filter_alone_and_combined_with_others_returns_exactly_its_matches(string filter)
    {
        var actor = "context-" + Guid.NewGuid().ToString("N");
        var (value, other) = Values(filter);
        var created = await client.CreateAllAsync([
            Entry(actor, filter, value),
            Entry(actor, filter, value, e => e["status"] = "FAILURE"),
            Entry(actor, filter, other),
            AuditJson.Minimal(actor),
        ]);
        var (success, failure, different) = (created[0], created[1], created[2]);
        var query = $"{filter}={Uri.EscapeDataString(value.ToString())}";

        await AssertResultAsync(query, success, failure);
        await AssertResultAsync($"{query}&status=FAILURE", failure);
        await AssertResultAsync($"{query}&status=SUCCESS", success);
        await AssertResultAsync($"actorId={actor}&{query}", success, failure);
        await AssertResultAsync($"actorId={actor}&{filter}={Uri.EscapeDataString(other.ToString())}", different);
        await AssertResultAsync($"{query}&actorId=someone-else");
        await AssertResultAsync($"{query}&since=2024-01-20T10:00:00.000001Z");
    }

    [Fact]
    public async Task Request_context_filters_combine_with_each_other()
    {
        var unique = Guid.NewGuid().ToString("N");
        var tenant = "tenant-" + unique;
        var created = await client.CreateAllAsync([
            WithContext(AuditJson.Minimal(), unique, e => (e["tenantId"], e["httpMethod"], e["httpStatus"]) = (tenant, "GET", 200)),
            WithContext(AuditJson.Minimal(), unique, e => (e["tenantId"], e["httpMethod"], e["httpStatus"]) = (tenant, "GET", 404)),
            WithContext(AuditJson.Minimal(), unique, e => (e["tenantId"], e["httpMethod"], e["httpStatus"]) = (tenant, "POST", 404)),
        ]);

        await AssertResultAsync($"tenantId={tenant}&httpMethod=GET&httpStatus=404", created[1]);
        await AssertResultAsync($"tenantId={tenant}&httpStatus=404", created[1], created[2]);
        await AssertResultAsync($"tenantId={tenant}&httpMethod=POST&httpStatus=200");
    }

    [Fact]
    public async Task Ip_address_filter_matches_any_spelling_of_the_address()
    {
        var unique = Guid.NewGuid().ToString("N");
        var group = "a" + unique[..3];
        var created = await client.CreateAsync(WithContext(AuditJson.Minimal(), unique, e => e["ipAddress"] = $"2001:db8:{group}::7"));

        await AssertResultAsync($"ipAddress={Uri.EscapeDataString($"2001:DB8:{group.ToUpperInvariant()}:0:0:0:0:7")}", created);
        await AssertResultAsync($"ipAddress={Uri.EscapeDataString($"2001:0db8:{group}:0000::0007")}", created);
        await AssertResultAsync($"ipAddress={Uri.EscapeDataString($"2001:db8:{group}::8")}");
    }

    [Fact]
    public async Task Http_method_filter_is_compared_upper_case()
    {
        var method = "X-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var created = await client.CreateAllAsync([
            WithContext(AuditJson.Minimal(), Guid.NewGuid().ToString("N"), e => e["httpMethod"] = method),
            WithContext(AuditJson.Minimal(), Guid.NewGuid().ToString("N"), e => e["httpMethod"] = method.ToLowerInvariant()),
        ]);

        Assert.All(created, e => Assert.Equal(method, (string?)e["httpMethod"]));
        await AssertResultAsync($"httpMethod={method.ToLowerInvariant()}", created);
        await AssertResultAsync($"httpMethod={method}", created);
    }

    [Theory]
    [InlineData("ipAddress", "1.2.3")]
    [InlineData("ipAddress", "010.0.0.1")]
    [InlineData("ipAddress", "10.0.0.0/8")]
    [InlineData("ipAddress", "fe80::1%eth0")]
    [InlineData("ipAddress", "[::1]")]
    [InlineData("ipAddress", "example.com")]
    [InlineData("httpStatus", "99")]
    [InlineData("httpStatus", "600")]
    [InlineData("httpStatus", "abc")]
    [InlineData("httpStatus", "200.0")]
    [InlineData("httpStatus", "+200")]
    [InlineData("httpStatus", "2e2")]
    [InlineData("httpMethod", "GE T")]
    [InlineData("httpMethod", "GET/1")]
    [InlineData("httpMethod", "ABCDEFGHIJKLMNOPQ")]
    [InlineData("httpPath", "users/42")]
    [InlineData("httpPath", "/a\0b")]
    [InlineData("source", "s\0")]
    [InlineData("tenantId", "t\0")]
    [InlineData("requestId", "r\0")]
    public async Task Invalid_filter_value_is_refused_with_400_naming_the_parameter(string parameter, string value)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={Uri.EscapeDataString(value)}");

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
        Assert.StartsWith("Validation error: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("source", 257)]
    [InlineData("tenantId", 129)]
    [InlineData("requestId", 129)]
    [InlineData("httpPath", 2049)]
    public async Task Too_long_filter_value_is_refused_with_400_naming_the_parameter(string parameter, int length)
    {
        var value = "/" + new string('x', length - 1);

        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={Uri.EscapeDataString(value)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [MemberData(nameof(FilterNames))]
    public async Task Repeated_filter_is_refused_with_400_naming_it(string filter)
    {
        var (value, other) = Values(filter);

        using var response = await client.GetAsync(
            $"{AuditApi.Path}?{filter}={Uri.EscapeDataString(value.ToString())}&{filter}={Uri.EscapeDataString(other.ToString())}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, filter);
    }

    [Fact]
    public async Task Empty_filter_values_count_as_absent()
    {
        var actor = "context-" + Guid.NewGuid().ToString("N");
        var created = await client.CreateAllAsync([AuditJson.Minimal(actor), WithContext(AuditJson.Minimal(actor), Guid.NewGuid().ToString("N"))]);

        await AssertResultAsync(
            $"actorId={actor}&source=&tenantId=&requestId=&ipAddress=&httpMethod=&httpPath=&httpStatus=", created);
    }

    /// <summary>A matching value and a different one for a filter, unique to the call where the field allows it.</summary>
    private static (JsonNode Value, JsonNode Other) Values(string filter)
    {
        var unique = Guid.NewGuid().ToString("N");
        return filter switch
        {
            "source" => ("urn:service-" + unique, "urn:service-" + unique + "-other"),
            "tenantId" => ("tenant-" + unique, "tenant-" + unique + "-other"),
            "requestId" => ("req-" + unique, "req-" + unique + "-other"),
            "ipAddress" => ($"2001:db8:{unique[..4]}:{unique[4..8]}::1", $"2001:db8:{unique[..4]}:{unique[4..8]}::2"),
            "httpMethod" => ("X-" + unique[..8].ToUpperInvariant(), "Y-" + unique[..8].ToUpperInvariant()),
            "httpPath" => ($"/records/{unique}", $"/records/{unique}/other"),
            "httpStatus" => (FilteredStatus, OtherStatus),
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
        };
    }

    private static JsonObject Entry(string actor, string field, JsonNode value, Action<JsonObject>? change = null)
    {
        var entry = AuditJson.Minimal(actor);
        entry[field] = value.DeepClone();
        change?.Invoke(entry);
        return entry;
    }

    /// <summary>Every request-context field, in canonical form, with values unique to <paramref name="unique"/> (32 hex digits) where they can be.</summary>
    private static JsonObject WithContext(JsonObject entry, string unique, Action<JsonObject>? change = null)
    {
        entry["source"] = "urn:service-" + unique;
        entry["tenantId"] = "tenant-" + unique;
        entry["requestId"] = "req-" + unique;
        entry["ipAddress"] = "2001:db8::a" + unique[..3] + ":1";
        entry["userAgent"] = "Mozilla/5.0 (X11; Linux x86_64) " + unique;
        entry["httpMethod"] = "DELETE";
        entry["httpPath"] = "/v1/records/" + unique + "?hard=true&reason=a%20b";
        entry["httpStatus"] = 204;
        entry["latencyMs"] = 12.5;
        change?.Invoke(entry);
        return entry;
    }

    /// <summary>The query's result is exactly <paramref name="expected"/>, in the API's order, with the matching total.</summary>
    private async Task AssertResultAsync(string query, params JsonObject[] expected)
    {
        var page = await client.GetPageAsync(query + "&limit=1000");
        Assert.Equal(expected.InApiOrder().Select(e => (string)e["id"]!), page.Ids());
        Assert.Equal(expected.Length, (long)page["total"]!);
    }
}
