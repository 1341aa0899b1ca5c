using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// The optional entry fields beyond the request context (resourceType, partnerId, actorEmail, role,
/// namespace, eventGroup, sessionId, correlationId, userId, vmId, taskId, nodeIp, workerId,
/// errorMessage): stored exactly as sent (the node address in canonical form), returned by id and
/// in pages, refused with 400 naming the field when invalid, replayed under an Idempotency-Key,
/// and (partnerId, actorEmail, resourceType) usable as filters.
/// </summary>
public sealed class EntryFieldsTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    /// <summary>Every text field and its documented limit.</summary>
    public static TheoryData<string, int> TextFields => new()
    {
        { "resourceType", 128 },
        { "partnerId", 128 },
        { "actorEmail", 254 },
        { "role", 128 },
        { "namespace", 253 },
        { "eventGroup", 128 },
        { "sessionId", 256 },
        { "correlationId", 128 },
        { "vmId", 256 },
        { "workerId", 256 },
        { "errorMessage", 4096 },
    };

    public static TheoryData<string> FilterNames => new() { "partnerId", "actorEmail", "resourceType" };

    /// <summary>Values the API refuses: field -> raw JSON value.</summary>
    public static TheoryData<string, string> InvalidValues => new()
    {
        { "resourceType", "42" },
        { "resourceType", "\"\"" },
        { "partnerId", "true" },
        { "partnerId", "\"   \"" },
        { "actorEmail", "{}" },
        { "role", "[\"operator\"]" },
        { "namespace", "1.5" },
        { "eventGroup", "\"a\\u0000b\"" },
        { "sessionId", "false" },
        { "correlationId", "7" },
        { "vmId", "{\"id\": 1}" },
        { "workerId", "\"\"" },
        { "errorMessage", "[]" },
        { "userId", "\"42\"" },
        { "userId", "1.5" },
        { "userId", "1e3" },
        { "userId", "9223372036854775808" },
        { "userId", "true" },
        { "taskId", "\"7\"" },
        { "taskId", "-9223372036854775809" },
        { "taskId", "2.0" },
        { "nodeIp", "42" },
        { "nodeIp", "\"10.0.0.0/8\"" },
        { "nodeIp", "\"010.0.0.1\"" },
        { "nodeIp", "\"fe80::1%eth0\"" },
        { "nodeIp", "\"node-1.example.com\"" },
    };

    [Fact]
    public async Task Every_field_round_trips_through_post_get_by_id_and_list()
    {
        var unique = Guid.NewGuid().ToString("N");
        var sent = WithFields(AuditJson.Minimal(), unique);
        sent["nodeIp"] = "2001:0DB8:0000:0000:0000:0000:B" + unique[..3].ToUpperInvariant() + ":0001";

        var created = await client.CreateAsync(sent);

        var expected = sent.DeepClone().AsObject();
        expected["nodeIp"] = "2001:db8::b" + unique[..3] + ":1";
        foreach (var (name, value) in expected)
        {
            Assert.True(JsonNode.DeepEquals(value, created[name]), $"{name}: sent {value?.ToJsonString()}, acknowledged {created[name]?.ToJsonString()}");
        }

        var id = Guid.Parse((string)created["id"]!);
        var byId = await client.GetEntryAsync(id);
        Assert.True(JsonNode.DeepEquals(created, byId), $"{created.ToJsonString()} != {byId.ToJsonString()}");
        var page = await client.GetPageAsync($"partnerId={sent["partnerId"]}");
        var listed = Assert.Single(page["logs"]!.AsArray())!;
        Assert.True(JsonNode.DeepEquals(created, listed), $"{created.ToJsonString()} != {listed.ToJsonString()}");

        // Typed columns: the integers as bigint (their extremes included), the node address as inet.
        Assert.Equal(1L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM audit_logs WHERE id = $1 AND user_id = $2 AND task_id = $3 AND node_ip = $4::inet " +
            "AND masklen(node_ip) = 128 AND partner_id = $5 AND actor_email = $6 AND resource_type = $7 AND error_message = $8",
            id, long.MaxValue, long.MinValue, (string)expected["nodeIp"]!, (string)sent["partnerId"]!, (string)sent["actorEmail"]!,
            (string)sent["resourceType"]!, (string)sent["errorMessage"]!));
    }

    [Fact]
    public async Task Entry_without_the_fields_returns_none_of_them()
    {
        var created = await client.CreateAsync(AuditJson.Minimal());

        var stored = await client.GetEntryAsync(Guid.Parse((string)created["id"]!));
        Assert.All(WithFields(new JsonObject(), "0123456789abcdef0123456789abcdef").Select(f => f.Key), name => Assert.False(stored.ContainsKey(name), name));
    }

    [Fact]
    public async Task Ipv4_node_address_and_small_integers_are_returned_as_sent()
    {
        var entry = AuditJson.Minimal();
        (entry["nodeIp"], entry["userId"], entry["taskId"]) = ("10.0.1.50", 0, -1);

        var created = await client.CreateAsync(entry);

        var stored = await client.GetEntryAsync(Guid.Parse((string)created["id"]!));
        Assert.Equal("10.0.1.50", (string?)stored["nodeIp"]);
        Assert.Equal(0L, (long)stored["userId"]!);
        Assert.Equal(-1L, (long)stored["taskId"]!);
    }

    [Theory]
    [MemberData(nameof(TextFields))]
    public async Task Text_field_at_its_limit_is_stored_and_one_character_more_is_refused(string field, int limit)
    {
        var atLimit = AuditJson.Minimal();
        atLimit[field] = new string('x', limit - 32) + Guid.NewGuid().ToString("N");
        var created = await client.CreateAsync(atLimit);
        Assert.Equal((string?)atLimit[field], (string?)(await client.GetEntryAsync(Guid.Parse((string)created["id"]!)))[field]);

        var tooLong = AuditJson.Minimal();
        tooLong[field] = new string('x', limit + 1);
        using var response = await client.PostEntryAsync(tooLong);

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Contains($"at most {limit} characters", error, StringComparison.Ordinal);
        Assert.Equal(0L, await RowsOfAsync(tooLong));
    }

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task Invalid_value_is_refused_with_400_naming_the_field_and_nothing_is_stored(string field, string value)
    {
        var entry = AuditJson.Minimal();
        var body = entry.ToJsonString()[..^1] + $", \"{field}\": {value}}}";

        using var response = await client.PostEntryAsync(AuditJson.Content(body));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, field);
        Assert.StartsWith("Validation error: ", error, StringComparison.Ordinal);
        Assert.Equal(0L, await RowsOfAsync(entry));
    }

    [Fact]
    public async Task Idempotent_replay_with_the_fields_answers_the_original_and_a_changed_field_is_refused()
    {
        var sent = WithFields(AuditJson.Minimal(), Guid.NewGuid().ToString("N"));
        sent["nodeIp"] = "2001:DB8:0:0::9";
        var key = "fields-" + Guid.NewGuid().ToString("N");

        using var first = await client.PostEntryAsync(sent, key);
        using var second = await client.PostEntryAsync(sent, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(["true"], second.Headers.GetValues("Idempotent-Replayed"));
        var (a, b) = (await first.ReadObjectAsync(), await second.ReadObjectAsync());
        Assert.True(JsonNode.DeepEquals(a, b), $"{a.ToJsonString()} != {b.ToJsonString()}");
        Assert.Equal("2001:db8::9", (string?)a["nodeIp"]);
        Assert.Equal(1L, await RowsOfAsync(sent));

        foreach (var (field, other) in new (string, JsonNode)[] { ("userId", long.MaxValue - 1), ("errorMessage", "another message"), ("nodeIp", "2001:db8::a") })
        {
            var changed = sent.DeepClone().AsObject();
            changed[field] = other;
            using var conflict = await client.PostEntryAsync(changed, key);
            await AuditApi.AssertErrorAsync(conflict, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        }

        Assert.Equal(1L, await RowsOfAsync(sent));
    }

    [Theory]
    [MemberData(nameof(FilterNames))]
    public async Task Filter_alone_and_combined_with_others_returns_exactly_its_matches(string filter)
    {
        var actor = "fields-" + Guid.NewGuid().ToString("N");
        var (value, other) = Values(filter);
        var created = await client.CreateAllAsync([
            Entry(actor, filter, value),
            Entry(actor, filter, value, e => e["status"] = "FAILURE"),
            Entry(actor, filter, other),
            AuditJson.Minimal(actor),
        ]);
        var (success, failure, different) = (created[0], created[1], created[2]);
        var query = $"{filter}={Uri.EscapeDataString(value)}";

        await AssertResultAsync(query, success, failure);
        await AssertResultAsync($"{query}&status=FAILURE", failure);
        await AssertResultAsync($"actorId={actor}&{query}", success, failure);
        await AssertResultAsync($"actorId={actor}&{filter}={Uri.EscapeDataString(other)}", different);
        await AssertResultAsync($"{query}&actorId=someone-else");
        await AssertResultAsync($"{query}&since=2024-01-20T10:00:00.000001Z");
        await AssertResultAsync($"actorId={actor}&{filter}=", created);
    }

    [Fact]
    public async Task Filters_combine_with_each_other_and_with_the_tenant()
    {
        var unique = Guid.NewGuid().ToString("N");
        var (partner, email) = ("partner-" + unique, $"carlos.{unique}@example.com");
        var created = await client.CreateAllAsync([
            WithFields(AuditJson.Minimal(), unique, e => (e["partnerId"], e["actorEmail"], e["resourceType"], e["tenantId"]) = (partner, email, "Approval", "t1-" + unique)),
            WithFields(AuditJson.Minimal(), unique, e => (e["partnerId"], e["actorEmail"], e["resourceType"], e["tenantId"]) = (partner, email, "Incident", "t2-" + unique)),
            WithFields(AuditJson.Minimal(), unique, e => (e["partnerId"], e["actorEmail"], e["resourceType"], e["tenantId"]) = (partner, "other-" + email, "Incident", "t2-" + unique)),
        ]);

        await AssertResultAsync($"partnerId={partner}", created);
        await AssertResultAsync($"partnerId={partner}&resourceType=Incident", created[1], created[2]);
        await AssertResultAsync($"partnerId={partner}&actorEmail={Uri.EscapeDataString(email)}&resourceType=Incident", created[1]);
        await AssertResultAsync($"partnerId={partner}&tenantId=t1-{unique}", created[0]);
        await AssertResultAsync($"partnerId={partner}&resourceType=Remediation");
    }

    [Theory]
    [InlineData("partnerId", 129)]
    [InlineData("actorEmail", 255)]
    [InlineData("resourceType", 129)]
    public async Task Too_long_filter_value_is_refused_with_400_naming_the_parameter(string parameter, int length)
    {
        using var response = await client.GetAsync($"{AuditApi.Path}?{parameter}={new string('x', length)}");

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [MemberData(nameof(FilterNames))]
    public async Task Repeated_filter_or_one_with_NUL_is_refused_with_400_naming_it(string filter)
    {
        using var repeated = await client.GetAsync($"{AuditApi.Path}?{filter}=a&{filter}=b");
        await AuditApi.AssertErrorAsync(repeated, HttpStatusCode.BadRequest, filter);

        using var nul = await client.GetAsync($"{AuditApi.Path}?{filter}=a%00b");
        await AuditApi.AssertErrorAsync(nul, HttpStatusCode.BadRequest, filter);
    }

    /// <summary>Every field, with values unique to <paramref name="unique"/> (32 hex digits) where they can be.</summary>
    internal static JsonObject WithFields(JsonObject entry, string unique, Action<JsonObject>? change = null)
    {
        entry["resourceType"] = "Approval-" + unique[..8];
        entry["partnerId"] = "partner-" + unique;
        entry["actorEmail"] = $"carlos.silva+{unique}@empresa.com";
        entry["role"] = "operator";
        entry["namespace"] = "production-" + unique[..8];
        entry["eventGroup"] = "approval";
        entry["sessionId"] = "sess-" + unique;
        entry["correlationId"] = "corr-" + unique;
        entry["userId"] = long.MaxValue;
        entry["vmId"] = "vm-" + unique;
        entry["taskId"] = long.MinValue;
        entry["nodeIp"] = "10.0.1.50";
        entry["workerId"] = "worker-" + unique[..8];
        entry["errorMessage"] = "Aprovação negada: \"quota\" excedida\nlinha 2 — " + unique;
        change?.Invoke(entry);
        return entry;
    }

    private static (string Value, string Other) Values(string filter)
    {
        var unique = Guid.NewGuid().ToString("N");
        return filter switch
        {
            "partnerId" => ("partner-" + unique, "partner-" + unique + "-other"),
            "actorEmail" => ($"user.{unique}@example.com", $"other.{unique}@example.com"),
            "resourceType" => ("Type-" + unique, "Type-" + unique + "-other"),
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
        };
    }

    private static JsonObject Entry(string actor, string field, string value, Action<JsonObject>? change = null)
    {
        var entry = AuditJson.Minimal(actor);
        entry[field] = value;
        change?.Invoke(entry);
        return entry;
    }

    private Task<long> RowsOfAsync(JsonObject entry) =>
        fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", (string)entry["actorId"]!);

    /// <summary>The query's result is exactly <paramref name="expected"/>, in the API's order, with the matching total.</summary>
    private async Task AssertResultAsync(string query, params JsonObject[] expected)
    {
        var page = await client.GetPageAsync(query + "&limit=1000");
        Assert.Equal(expected.InApiOrder().Select(e => (string)e["id"]!), page.Ids());
        Assert.Equal(expected.Length, (long)page["total"]!);
    }
}
