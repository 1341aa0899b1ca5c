using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>
/// POST /v1/auditmanager/events: one CloudEvent, in structured or binary mode, is acknowledged
/// 202 once committed and becomes one audit entry by the documented mapping; a replay of
/// (id, time) is acknowledged again without a second row; an invalid event is refused with 400
/// naming its CloudEvent attribute, and nothing of it is stored.
/// </summary>
/// <remarks>
/// Every event carries a unique <c>source</c> (the entry's actorId) and <c>id</c>, so rows are
/// counted per test; the class's tests run one after another on their own database, so refusals
/// are also checked against the table's total.
/// </remarks>
public sealed class CloudEventsIngestTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private const string TraceIdOfTraceparent = "4bf92f35-77b3-4da6-a3ce-929d0e0e4736";

    /// <summary>Replaced by the case's unique event id.</summary>
    private const string IdMarker = "{ID}";

    /// <summary>Replaced by the case's unique source.</summary>
    private const string SourceMarker = "{SOURCE}";

    private static readonly (string Name, string Raw)[] ValidAttributes =
    [
        ("specversion", S("1.0")),
        ("id", S(IdMarker)),
        ("source", S(SourceMarker)),
        ("type", S("com.example.audit.record.read")),
        ("time", S("2024-01-20T10:00:00Z")),
    ];

    /// <summary>Refusals of one attribute: case -> (event template, attribute the refusal must name).</summary>
    private static readonly Dictionary<string, (string Json, string Field)> AttributeCases = new()
    {
        ["source missing"] = (Event(("source", null)), "source"),
        ["source null"] = (Event(("source", "null")), "source"),
        ["source empty"] = (Event(("source", S(""))), "source"),
        ["source blank"] = (Event(("source", S("   "))), "source"),
        ["source number"] = (Event(("source", "42")), "source"),
        ["source longer than 256 characters"] = (Event(("source", S(SourceMarker + new string('s', 257)))), "source"),
        ["source longer than 512 characters"] = (Event(("source", S(SourceMarker + new string('s', 513)))), "source"),
        ["source with NUL"] = (Event(("source", S(SourceMarker + @"\u0000"))), "source"),
        ["type missing"] = (Event(("type", null)), "type"),
        ["type empty"] = (Event(("type", S(""))), "type"),
        ["type object"] = (Event(("type", """{"name": "x"}""")), "type"),
        ["type longer than 128 characters"] = (Event(("type", S(new string('t', 129)))), "type"),
        ["specversion 0.3"] = (Event(("specversion", S("0.3"))), "specversion"),
        ["specversion as a number"] = (Event(("specversion", "1.0")), "specversion"),
        ["id empty"] = (Event(("id", S("")), ("subject", S(IdMarker))), "id"),
        ["id number"] = (Event(("id", "42"), ("subject", S(IdMarker))), "id"),
        ["time with a space"] = (Event(("time", S("2024-01-20 10:00:00"))), "time"),
        ["time date only"] = (Event(("time", S("2024-01-20"))), "time"),
        ["time without offset"] = (Event(("time", S("2024-01-20T10:00:00"))), "time"),
        ["time as epoch seconds"] = (Event(("time", "1705744800")), "time"),
        ["subject number"] = (Event(("subject", "42")), "subject"),
        ["subject object"] = (Event(("subject", """{"id": "x"}""")), "subject"),
        ["subject empty"] = (Event(("subject", S(""))), "subject"),
        ["traceparent number"] = (Event(("traceparent", "1")), "traceparent"),
        ["data_base64 not base64"] = (Event(("data_base64", S("not base64!"))), "data_base64"),
        ["data_base64 number"] = (Event(("data_base64", "12")), "data_base64"),
        ["data with a number Postgres cannot hold"] = (Event(("data", """{"n": 1e1000000}""")), "data"),
        ["data repeating a member name"] = (Event(("data", """{"a": 1, "a": 2}""")), "data"),
        ["status extension unknown"] = (Event(("status", S("PARTIAL"))), "status"),
        ["status extension lower-case"] = (Event(("status", S("failure"))), "status"),
        ["actortype extension unknown"] = (Event(("actortype", S("ROBOT"))), "actortype"),
        ["targettype extension unknown"] = (Event(("targettype", S("DATABASE"))), "targettype"),
        ["eventaction extension unknown"] = (Event(("eventaction", S("PATCH"))), "eventaction"),
        ["source given twice"] = (Twice(Event(), "source", S("urn:other")), "source"),
        ["resourcetype extension longer than 128 characters"] = (Event(("resourcetype", S(new string('r', 129)))), "resourcetype"),
        ["partnerid extension number"] = (Event(("partnerid", "42")), "partnerid"),
        ["actoremail extension empty"] = (Event(("actoremail", S(""))), "actoremail"),
        ["namespace extension object"] = (Event(("namespace", """{"name": "production"}""")), "namespace"),
        ["errormessage extension longer than 4096 characters"] = (Event(("errormessage", S(new string('e', 4097)))), "errormessage"),
        ["userid extension not an integer string"] = (Event(("userid", S("abc"))), "userid"),
        ["userid extension fraction"] = (Event(("userid", "1.5")), "userid"),
        ["userid extension beyond 64 bits"] = (Event(("userid", "9223372036854775808")), "userid"),
        ["taskid extension boolean"] = (Event(("taskid", "true")), "taskid"),
        ["nodeip extension not an address"] = (Event(("nodeip", S("node-1"))), "nodeip"),
        ["nodeip extension a network"] = (Event(("nodeip", S("10.0.0.0/8"))), "nodeip"),
    };

    /// <summary>Bodies that are not a CloudEvent at all: refused naming the body.</summary>
    private static readonly Dictionary<string, string> BodyCases = new()
    {
        ["malformed JSON"] = Event()[..^1],
        ["trailing comma"] = Event()[..^1] + ",}",
        ["empty body"] = "",
        ["two JSON values"] = Event() + Event(),
    };

    /// <summary>JSON bodies that are not an object.</summary>
    private static readonly Dictionary<string, string> NotAnObjectCases = new()
    {
        ["an array of the event"] = "[" + Event() + "]",
        ["a string"] = S(SourceMarker),
        ["a number"] = "42",
        ["null"] = "null",
    };

    private readonly HttpClient client = fixture.Client;

    private readonly TestDatabase database = fixture.Database;

    public static TheoryData<string> AttributeCaseNames => Names(AttributeCases.Keys);

    public static TheoryData<string> BodyCaseNames => Names(BodyCases.Keys);

    public static TheoryData<string> NotAnObjectCaseNames => Names(NotAnObjectCases.Keys);

    [Theory]
    [InlineData(CloudEventRequests.StructuredType)]
    [InlineData("application/json")]
    public async Task Structured_event_is_acknowledged_202_once_committed_and_maps_onto_an_entry(string contentType)
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["subject"] = "records/42";
        cloudEvent["time"] = "2024-01-20T10:00:00.123456Z";
        cloudEvent["datacontenttype"] = "application/json";
        cloudEvent["region"] = "eu-west-1";
        cloudEvent["data"] = JsonNode.Parse("""{"recordId": 42, "fields": ["name", "address"], "nested": {"ok": true}}""");
        var source = (string)cloudEvent["source"]!;

        using var response = await client.PostEventAsync(cloudEvent, contentType);

        var (entryId, duplicate) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        Assert.False(duplicate);

        // Acknowledged means committed: the row is there the moment the 202 arrives.
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", entryId));

        var entry = await client.GetEntryAsync(entryId);
        Assert.Equal(entryId.ToString(), (string?)entry["id"]);
        Assert.Equal("com.example.audit.record.read", (string?)entry["eventType"]);
        Assert.Equal(source, (string?)entry["source"]);
        Assert.Equal(source, (string?)entry["actorId"]);
        Assert.Equal("SERVICE", (string?)entry["actorType"]);
        Assert.Equal("records/42", (string?)entry["targetId"]);
        Assert.Equal("RESOURCE", (string?)entry["targetType"]);
        Assert.Equal("SUCCESS", (string?)entry["status"]);
        Assert.Equal("2024-01-20T10:00:00.123456Z", (string?)entry["timestamp"]);
        Assert.False(entry.ContainsKey("traceId"), entry.ToJsonString());
        Assert.False(entry.ContainsKey("eventAction"), entry.ToJsonString());
        AssertJsonEqual(cloudEvent["data"], entry["additionalMetadata"], "additionalMetadata");

        // Every other attribute, the extension included, is kept under requestMetadata.cloudevent.
        var attributes = cloudEvent.DeepClone().AsObject();
        attributes.Remove("data");
        AssertJsonEqual(new JsonObject { ["cloudevent"] = attributes }, entry["requestMetadata"], "requestMetadata");
        Assert.Equal(1L, await database.RowsOfSourceAsync(source));
    }

    [Theory]
    [InlineData("a string", "\"user signed in\"")]
    [InlineData("an array", """[1, "two", {"three": 3}]""")]
    [InlineData("a number", "42.5")]
    [InlineData("a boolean", "true")]
    public async Task Data_that_is_not_an_object_is_kept_under_data_in_additionalMetadata(string kind, string data)
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["data"] = JsonNode.Parse(data);

        using var response = await client.PostEventAsync(cloudEvent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        var entry = await client.GetEntryAsync(entryId);
        AssertJsonEqual(new JsonObject { ["data"] = JsonNode.Parse(data) }, entry["additionalMetadata"], kind);
        Assert.False(entry["requestMetadata"]!["cloudevent"]!.AsObject().ContainsKey("data"));
    }

    [Fact]
    public async Task Data_base64_is_kept_under_data_base64_in_additionalMetadata()
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["datacontenttype"] = "application/octet-stream";
        cloudEvent["data_base64"] = Convert.ToBase64String([0, 1, 2, 253, 254, 255]);

        using var response = await client.PostEventAsync(cloudEvent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        var entry = await client.GetEntryAsync(entryId);
        AssertJsonEqual(new JsonObject { ["data_base64"] = "AAEC/f7/" }, entry["additionalMetadata"], "additionalMetadata");
        var attributes = entry["requestMetadata"]!["cloudevent"]!.AsObject();
        Assert.False(attributes.ContainsKey("data_base64"));
        Assert.Equal("application/octet-stream", (string?)attributes["datacontenttype"]);
    }

    [Fact]
    public async Task Event_without_data_has_no_additionalMetadata()
    {
        var cloudEvent = CloudEventRequests.Event();

        using var response = await client.PostEventAsync(cloudEvent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        Assert.False((await client.GetEntryAsync(entryId)).ContainsKey("additionalMetadata"));
    }

    [Fact]
    public async Task Traceparent_extension_becomes_the_trace_id()
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["traceparent"] = Traceparent;

        using var response = await client.PostEventAsync(cloudEvent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        var entry = await client.GetEntryAsync(entryId);
        Assert.Equal(TraceIdOfTraceparent, (string?)entry["traceId"]);
        Assert.Equal(Traceparent, (string?)entry["requestMetadata"]!["cloudevent"]!["traceparent"]);
        Assert.Equal(Guid.Parse(TraceIdOfTraceparent), await database.ScalarAsync<Guid>("SELECT trace_id FROM audit_logs WHERE id = $1", entryId));
    }

    [Fact]
    public async Task Traceparent_header_supplies_the_trace_when_the_event_has_none()
    {
        var cloudEvent = CloudEventRequests.Event();

        using var response = await client.PostEventAsync(cloudEvent, traceparent: Traceparent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        Assert.Equal(TraceIdOfTraceparent, (string?)(await client.GetEntryAsync(entryId))["traceId"]);
    }

    [Fact]
    public async Task Traceparent_extension_wins_over_the_header()
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["traceparent"] = Traceparent;

        using var response = await client.PostEventAsync(cloudEvent, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        Assert.Equal(TraceIdOfTraceparent, (string?)(await client.GetEntryAsync(entryId))["traceId"]);
    }

    [Fact]
    public async Task Extensions_override_status_actor_target_and_action_defaults()
    {
        var actor = "admin-" + Guid.NewGuid().ToString("N");
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["status"] = "FAILURE";
        cloudEvent["actortype"] = "ADMIN";
        cloudEvent["actorid"] = actor;
        cloudEvent["targettype"] = "SERVICE";
        cloudEvent["eventaction"] = "DELETE";

        using var response = await client.PostEventAsync(cloudEvent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        var entry = await client.GetEntryAsync(entryId);
        Assert.Equal("FAILURE", (string?)entry["status"]);
        Assert.Equal("ADMIN", (string?)entry["actorType"]);
        Assert.Equal(actor, (string?)entry["actorId"]);
        Assert.Equal("SERVICE", (string?)entry["targetType"]);
        Assert.Equal("DELETE", (string?)entry["eventAction"]);
        Assert.Equal((string?)cloudEvent["source"], (string?)entry["requestMetadata"]!["cloudevent"]!["source"]);
        Assert.Equal((string?)cloudEvent["source"], (string?)entry["source"]);
        Assert.Equal(1L, await database.RowsOfSourceAsync(actor));
        Assert.Equal(0L, await database.RowsOfSourceAsync((string)cloudEvent["source"]!));
    }

    [Fact]
    public async Task Field_extensions_set_the_entry_fields_of_the_same_name()
    {
        var unique = Guid.NewGuid().ToString("N");
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["resourcetype"] = "Approval";
        cloudEvent["partnerid"] = "partner-" + unique;
        cloudEvent["actoremail"] = "carlos.silva@empresa.com";
        cloudEvent["role"] = "operator";
        cloudEvent["namespace"] = "production";
        cloudEvent["eventgroup"] = "approval";
        cloudEvent["sessionid"] = "sess-" + unique;
        cloudEvent["correlationid"] = "corr-" + unique;
        cloudEvent["userid"] = 9007199254740993; // beyond a double's exact integers
        cloudEvent["vmid"] = "vm-42";
        cloudEvent["taskid"] = "-17"; // the CloudEvents string encoding of an Integer
        cloudEvent["nodeip"] = "2001:DB8:0:0::1";
        cloudEvent["workerid"] = "worker-3";
        cloudEvent["errormessage"] = "quota exceeded";

        using var response = await client.PostEventAsync(cloudEvent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        var entry = await client.GetEntryAsync(entryId);
        AssertJsonEqual(
            JsonNode.Parse($$"""
                {"resourceType": "Approval", "partnerId": "partner-{{unique}}", "actorEmail": "carlos.silva@empresa.com",
                 "role": "operator", "namespace": "production", "eventGroup": "approval", "sessionId": "sess-{{unique}}",
                 "correlationId": "corr-{{unique}}", "userId": 9007199254740993, "vmId": "vm-42", "taskId": -17,
                 "nodeIp": "2001:db8::1", "workerId": "worker-3", "errorMessage": "quota exceeded"}
                """),
            new JsonObject(entry.Where(p => p.Key is "resourceType" or "partnerId" or "actorEmail" or "role" or "namespace" or "eventGroup"
                    or "sessionId" or "correlationId" or "userId" or "vmId" or "taskId" or "nodeIp" or "workerId" or "errorMessage")
                .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
            "fields");
        var page = await client.GetPageAsync($"partnerId=partner-{unique}&actorEmail=carlos.silva%40empresa.com&resourceType=Approval");
        Assert.Equal([entryId.ToString()], page.Ids());

        // A replay maps to the same entry: the fields compare equal to the stored ones.
        using var replay = await client.PostEventAsync(cloudEvent);
        Assert.True((await CloudEventRequests.AssertAcceptedAsync(replay, (string)cloudEvent["id"]!)).Duplicate);
    }

    [Fact]
    public async Task Binary_mode_field_extension_headers_set_the_entry_fields()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        var headers = BinaryHeaders(id, source);
        headers.Add(new("ce-partnerid", "partner-" + id));
        headers.Add(new("ce-resourcetype", "Incident"));
        headers.Add(new("ce-userid", "42"));
        headers.Add(new("ce-taskid", "-9223372036854775808"));
        headers.Add(new("ce-nodeip", "10.0.1.50"));

        using var response = await client.PostEventAsync(CloudEventRequests.Content("{}", "application/json"), headers);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, id);
        var entry = await client.GetEntryAsync(entryId);
        Assert.Equal("partner-" + id, (string?)entry["partnerId"]);
        Assert.Equal("Incident", (string?)entry["resourceType"]);
        Assert.Equal(42L, (long)entry["userId"]!);
        Assert.Equal(long.MinValue, (long)entry["taskId"]!);
        Assert.Equal("10.0.1.50", (string?)entry["nodeIp"]);
    }

    [Fact]
    public async Task Events_are_found_by_their_source_whoever_the_actor_is()
    {
        var source = CloudEventRequests.NewSource();
        var events = Enumerable.Range(0, 3).Select(_ => CloudEventRequests.Event(source)).ToList();
        events[2]["actorid"] = "admin-" + Guid.NewGuid().ToString("N");

        var ids = new List<string>();
        foreach (var cloudEvent in events)
        {
            using var response = await client.PostEventAsync(cloudEvent);
            ids.Add((await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!)).EntryId.ToString());
        }

        var page = await client.GetPageAsync($"source={Uri.EscapeDataString(source)}");
        Assert.Equal(ids.Order(StringComparer.Ordinal), page.Ids().Order(StringComparer.Ordinal));
        Assert.Equal(3L, (long)page["total"]!);
        Assert.Equal(2L, (long)(await client.GetPageAsync($"source={Uri.EscapeDataString(source)}&actorId={Uri.EscapeDataString(source)}"))["total"]!);
    }

    [Fact]
    public async Task Event_without_time_is_stamped_with_its_receipt_time()
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent.Remove("time");
        var before = DateTimeOffset.UtcNow;
        before = before.AddTicks(-(before.Ticks % 10)); // stored timestamps keep microseconds

        using var response = await client.PostEventAsync(cloudEvent);
        var after = DateTimeOffset.UtcNow;

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, (string)cloudEvent["id"]!);
        var entry = await client.GetEntryAsync(entryId);
        var timestamp = DateTimeOffset.Parse((string)entry["timestamp"]!, CultureInfo.InvariantCulture);
        Assert.InRange(timestamp, before, after);
        Assert.False(entry["requestMetadata"]!["cloudevent"]!.AsObject().ContainsKey("time"));
    }

    [Theory]
    [InlineData("specversion")]
    [InlineData("id")]
    public async Task An_event_without_an_attribute_CloudEvents_requires_is_refused_naming_it_and_nothing_is_stored(string attribute)
    {
        // CloudEvents 1.0 requires both: without them it is not a CloudEvent, and without an id a
        // retry could not be told from a new event.
        var cloudEvent = CloudEventRequests.Event();
        var source = (string)cloudEvent["source"]!;
        cloudEvent.Remove(attribute);

        using var response = await client.PostEventAsync(cloudEvent);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, attribute);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE source = $1", source));
    }

    [Fact]
    public async Task Binary_mode_takes_attributes_from_ce_headers_and_a_json_body_as_data()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        const string Data = """{"recordId": 7, "tags": ["a", "b"]}""";

        using var response = await client.PostEventAsync(CloudEventRequests.Content(Data, "application/json"), BinaryHeaders(id, source));

        var (entryId, duplicate) = await CloudEventRequests.AssertAcceptedAsync(response, id);
        Assert.False(duplicate);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = $1", entryId));
        var entry = await client.GetEntryAsync(entryId);
        Assert.Equal("com.example.audit.record.read", (string?)entry["eventType"]);
        Assert.Equal(source, (string?)entry["source"]);
        Assert.Equal(source, (string?)entry["actorId"]);
        Assert.Equal("SERVICE", (string?)entry["actorType"]);
        Assert.Equal("records/7", (string?)entry["targetId"]);
        Assert.Equal("RESOURCE", (string?)entry["targetType"]);
        Assert.Equal("2024-01-20T10:00:00Z", (string?)entry["timestamp"]);
        Assert.Equal("SUCCESS", (string?)entry["status"]);
        AssertJsonEqual(JsonNode.Parse(Data), entry["additionalMetadata"], "additionalMetadata");
        var expectedAttributes = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = source,
            ["type"] = "com.example.audit.record.read",
            ["subject"] = "records/7",
            ["time"] = "2024-01-20T10:00:00Z",
            ["region"] = "eu-west-1",
            ["datacontenttype"] = "application/json",
        };
        AssertJsonEqual(new JsonObject { ["cloudevent"] = expectedAttributes }, entry["requestMetadata"], "requestMetadata");
    }

    [Fact]
    public async Task Binary_mode_extension_headers_override_defaults()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        var headers = BinaryHeaders(id, source);
        headers.Add(new("ce-status", "FAILURE"));
        headers.Add(new("ce-actortype", "SYSTEM"));
        headers.Add(new("ce-eventaction", "UPDATE"));

        using var response = await client.PostEventAsync(CloudEventRequests.Content("{}", "application/json"), headers);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, id);
        var entry = await client.GetEntryAsync(entryId);
        Assert.Equal("FAILURE", (string?)entry["status"]);
        Assert.Equal("SYSTEM", (string?)entry["actorType"]);
        Assert.Equal("UPDATE", (string?)entry["eventAction"]);
    }

    [Fact]
    public async Task Binary_mode_non_json_body_is_kept_as_data_base64()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        const string Text = "user 42 signed in from 10.0.0.1\n";

        using var response = await client.PostEventAsync(CloudEventRequests.Content(Text, "text/plain"), BinaryHeaders(id, source));

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, id);
        var entry = await client.GetEntryAsync(entryId);
        AssertJsonEqual(new JsonObject { ["data_base64"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Text)) }, entry["additionalMetadata"], "additionalMetadata");
        Assert.Equal("text/plain", (string?)entry["requestMetadata"]!["cloudevent"]!["datacontenttype"]);
    }

    [Fact]
    public async Task Binary_mode_header_values_are_percent_decoded()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        var headers = BinaryHeaders(id, source).Where(h => h.Key != "ce-subject").ToList();
        headers.Add(new("ce-subject", "files/r%C3%A9sum%C3%A9%20v2.pdf"));

        using var response = await client.PostEventAsync(CloudEventRequests.Content("{}", "application/json"), headers);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, id);
        Assert.Equal("files/résumé v2.pdf", (string?)(await client.GetEntryAsync(entryId))["targetId"]);
    }

    [Fact]
    public async Task Binary_mode_uses_the_traceparent_header_as_the_trace()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");

        using var response = await client.PostEventAsync(CloudEventRequests.Content("{}", "application/json"), BinaryHeaders(id, source), Traceparent);

        var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(response, id);
        Assert.Equal(TraceIdOfTraceparent, (string?)(await client.GetEntryAsync(entryId))["traceId"]);
    }

    [Theory]
    [InlineData("ce-source", "source")]
    [InlineData("ce-type", "type")]
    public async Task Binary_mode_without_a_required_attribute_is_refused_with_400_naming_it(string header, string attribute)
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(
            CloudEventRequests.Content("{}", "application/json"), BinaryHeaders(id, source).Where(h => h.Key != header));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, attribute);
        await AssertNothingStoredAsync(id, source, before);
    }

    [Fact]
    public async Task Binary_mode_body_declared_json_that_is_not_json_is_refused_with_400_naming_data()
    {
        var source = CloudEventRequests.NewSource();
        var id = "binary-" + Guid.NewGuid().ToString("N");
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(CloudEventRequests.Content("{not json", "application/json"), BinaryHeaders(id, source));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "data", messageNamesField: false);
        await AssertNothingStoredAsync(id, source, before);
    }

    [Fact]
    public async Task Same_event_twice_is_acknowledged_both_times_with_one_entry_and_one_row()
    {
        var cloudEvent = CloudEventRequests.Event();
        cloudEvent["data"] = new JsonObject { ["k"] = 1 };
        var id = (string)cloudEvent["id"]!;

        using var first = await client.PostEventAsync(cloudEvent);
        using var second = await client.PostEventAsync(cloudEvent);

        var (firstEntry, firstDuplicate) = await CloudEventRequests.AssertAcceptedAsync(first, id);
        var (secondEntry, secondDuplicate) = await CloudEventRequests.AssertAcceptedAsync(second, id);
        Assert.False(firstDuplicate);
        Assert.True(secondDuplicate);
        Assert.Equal(firstEntry, secondEntry);
        Assert.Equal(1L, await database.RowsOfSourceAsync((string)cloudEvent["source"]!));
    }

    [Fact]
    public async Task Same_id_with_a_different_time_is_another_event_and_another_row()
    {
        var source = CloudEventRequests.NewSource();
        var id = "event-" + Guid.NewGuid().ToString("N");

        using var first = await client.PostEventAsync(CloudEventRequests.Event(source, id, "2024-01-20T10:00:00Z"));
        using var second = await client.PostEventAsync(CloudEventRequests.Event(source, id, "2024-01-20T10:00:01Z"));

        var (firstEntry, firstDuplicate) = await CloudEventRequests.AssertAcceptedAsync(first, id);
        var (secondEntry, secondDuplicate) = await CloudEventRequests.AssertAcceptedAsync(second, id);
        Assert.False(firstDuplicate);
        Assert.False(secondDuplicate);
        Assert.NotEqual(firstEntry, secondEntry);
        Assert.Equal(2L, await database.RowsOfSourceAsync(source));
    }

    [Fact]
    public async Task Replay_in_binary_mode_of_an_event_first_sent_structured_is_a_duplicate()
    {
        var source = CloudEventRequests.NewSource();
        var id = "event-" + Guid.NewGuid().ToString("N");
        var structured = CloudEventRequests.Event(source, id);
        structured["subject"] = "records/7";
        structured["data"] = new JsonObject { ["k"] = 1 };

        using var first = await client.PostEventAsync(structured);
        using var second = await client.PostEventAsync(CloudEventRequests.Content("""{"k": 1}""", "application/json"), BinaryHeaders(id, source));

        var (firstEntry, _) = await CloudEventRequests.AssertAcceptedAsync(first, id);
        var (secondEntry, duplicate) = await CloudEventRequests.AssertAcceptedAsync(second, id);
        Assert.True(duplicate);
        Assert.Equal(firstEntry, secondEntry);
        Assert.Equal(1L, await database.RowsOfSourceAsync(source));
    }

    [Fact]
    public async Task Replay_carrying_another_trace_is_still_a_duplicate()
    {
        // A retry may leave under a new trace; it must land on the stored entry, whatever partition its trace maps to.
        var cloudEvent = CloudEventRequests.Event();
        var id = (string)cloudEvent["id"]!;

        using var first = await client.PostEventAsync(cloudEvent, traceparent: Traceparent);
        using var retry = await client.PostEventAsync(cloudEvent, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var (firstEntry, _) = await CloudEventRequests.AssertAcceptedAsync(first, id);
        var (retryEntry, duplicate) = await CloudEventRequests.AssertAcceptedAsync(retry, id);
        Assert.True(duplicate);
        Assert.Equal(firstEntry, retryEntry);
        Assert.Equal(1L, await database.RowsOfSourceAsync((string)cloudEvent["source"]!));
        Assert.Equal(Guid.Parse(TraceIdOfTraceparent), await database.ScalarAsync<Guid>("SELECT trace_id FROM audit_logs WHERE id = $1", firstEntry));
    }

    [Fact]
    public async Task Twenty_concurrent_copies_of_one_event_store_one_row_and_one_is_not_a_duplicate()
    {
        var cloudEvent = CloudEventRequests.Event();
        var id = (string)cloudEvent["id"]!;
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 20).Select(async _ =>
        {
            await start.WaitAsync();
            return await client.PostEventAsync(cloudEvent);
        }).ToList();

        start.Release(20);
        var responses = await Task.WhenAll(requests);

        try
        {
            var outcomes = new List<(Guid EntryId, bool Duplicate)>();
            foreach (var response in responses)
            {
                outcomes.Add(await CloudEventRequests.AssertAcceptedAsync(response, id));
            }

            Assert.Single(outcomes.Select(o => o.EntryId).Distinct());
            Assert.Single(outcomes, o => !o.Duplicate);
            Assert.Equal(1L, await database.RowsOfSourceAsync((string)cloudEvent["source"]!));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("2024-01-20T10:00:00.000Z")]
    [InlineData("2024-01-20T10:00:00+00:00")]
    [InlineData("2024-01-20T12:00:00+02:00")]
    public async Task Replay_whose_time_is_the_same_instant_spelled_differently_is_a_duplicate(string respelled)
    {
        var source = CloudEventRequests.NewSource();
        var id = "event-" + Guid.NewGuid().ToString("N");

        using var first = await client.PostEventAsync(CloudEventRequests.Event(source, id, "2024-01-20T10:00:00Z"));
        using var retry = await client.PostEventAsync(CloudEventRequests.Event(source, id, respelled));

        var (firstEntry, _) = await CloudEventRequests.AssertAcceptedAsync(first, id);
        var (retryEntry, duplicate) = await CloudEventRequests.AssertAcceptedAsync(retry, id);
        Assert.True(duplicate);
        Assert.Equal(firstEntry, retryEntry);
        Assert.Equal(1L, await database.RowsOfSourceAsync(source));
    }

    [Theory]
    [MemberData(nameof(AttributeCaseNames))]
    public async Task Invalid_attribute_is_refused_with_400_naming_the_attribute(string @case)
    {
        var (template, attribute) = AttributeCases[@case];
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(Fill(template, id, source));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, attribute);
        Assert.StartsWith("Validation error: ", error, StringComparison.Ordinal);
        await AssertNothingStoredAsync(id, source, before);
    }

    [Fact]
    public async Task Invalid_actorid_extension_is_refused_naming_actorid()
    {
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(Fill(Event(("actorid", S(""))), id, source));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "actorid");
        await AssertNothingStoredAsync(id, source, before);
    }

    [Theory]
    [MemberData(nameof(BodyCaseNames))]
    public async Task Body_that_is_not_json_is_refused_with_400_naming_the_body(string @case)
    {
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(Fill(BodyCases[@case], id, source));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body");
        await AssertNothingStoredAsync(id, source, before);
    }

    [Theory]
    [MemberData(nameof(NotAnObjectCaseNames))]
    public async Task Json_body_that_is_not_an_object_is_refused_with_400_and_nothing_stored(string @case)
    {
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(Fill(NotAnObjectCases[@case], id, source));

        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Equal(["error", "field"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.StartsWith("Validation error: ", (string?)body["error"], StringComparison.Ordinal);
        await AssertNothingStoredAsync(id, source, before);
    }

    [Theory]
    [MemberData(nameof(NotAnObjectCaseNames))]
    public async Task Json_body_that_is_not_an_object_is_refused_naming_the_body(string @case)
    {
        var (id, source) = NewMarkers();

        using var response = await client.PostEventAsync(Fill(NotAnObjectCases[@case], id, source));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Structured_body_that_is_not_json_without_ce_headers_is_refused_with_415(string contentType)
    {
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(Fill(Event(), id, source), contentType);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type", messageNamesField: false);
        await AssertNothingStoredAsync(id, source, before);
    }

    [Theory]
    [InlineData("single event that is not json")]
    [InlineData("batch that is not json")]
    [InlineData("binary-mode body that is not json")]
    public async Task Refusal_message_names_the_field_it_reports(string @case)
    {
        var (id, source) = NewMarkers();

        using var response = @case switch
        {
            "single event that is not json" => await client.PostEventAsync(Fill(Event(), id, source), "text/plain"),
            "batch that is not json" => await client.PostBatchAsync("[" + Fill(Event(), id, source) + "]", "text/plain"),
            _ => await client.PostEventAsync(CloudEventRequests.Content("{not json", "application/json"), BinaryHeaders(id, source)),
        };

        var (status, field) = @case == "binary-mode body that is not json"
            ? (HttpStatusCode.BadRequest, "data")
            : (HttpStatusCode.UnsupportedMediaType, "Content-Type");
        await AuditApi.AssertErrorAsync(response, status, field);
    }

    [Fact]
    public async Task Body_over_64_KiB_is_refused_with_413_naming_the_body()
    {
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();
        var cloudEvent = CloudEventRequests.Event(source, id);
        cloudEvent["data"] = new JsonObject { ["padding"] = new string('x', 70_000) };

        using var response = await client.PostEventAsync(cloudEvent);

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Contains("65536", error, StringComparison.Ordinal);
        await AssertNothingStoredAsync(id, source, before);
    }

    [Fact]
    public async Task Binary_mode_body_over_64_KiB_is_refused_with_413_naming_the_body()
    {
        var (id, source) = NewMarkers();
        var before = await TotalRowsAsync();

        using var response = await client.PostEventAsync(CloudEventRequests.Content(new string('x', 70_000), "text/plain"), BinaryHeaders(id, source));

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
        await AssertNothingStoredAsync(id, source, before);
    }

    [Fact]
    public async Task Event_of_exactly_64_KiB_is_accepted()
    {
        var (id, source) = NewMarkers();
        var cloudEvent = CloudEventRequests.Event(source, id);
        cloudEvent["data"] = new JsonObject { ["padding"] = "" };
        var size = Encoding.UTF8.GetByteCount(cloudEvent.ToJsonString());
        cloudEvent["data"] = new JsonObject { ["padding"] = new string('x', 65536 - size) };
        Assert.Equal(65536, Encoding.UTF8.GetByteCount(cloudEvent.ToJsonString()));

        using var response = await client.PostEventAsync(cloudEvent);

        await CloudEventRequests.AssertAcceptedAsync(response, id);
        Assert.Equal(1L, await database.RowsOfSourceAsync(source));
    }

    /// <summary>The ce-* headers of a complete binary-mode event (with a <c>region</c> extension).</summary>
    private static List<KeyValuePair<string, string>> BinaryHeaders(string id, string source) =>
    [
        new("ce-specversion", "1.0"),
        new("ce-id", id),
        new("ce-source", source),
        new("ce-type", "com.example.audit.record.read"),
        new("ce-subject", "records/7"),
        new("ce-time", "2024-01-20T10:00:00Z"),
        new("ce-region", "eu-west-1"),
    ];

    /// <summary>A JSON string literal of <paramref name="text"/>, taken as already escaped.</summary>
    private static string S(string text) => "\"" + text + "\"";

    /// <summary>The valid event with some attributes replaced, added, or (raw value null) removed.</summary>
    private static string Event(params (string Name, string? Raw)[] changes)
    {
        var attributes = ValidAttributes.ToList();
        foreach (var (name, raw) in changes)
        {
            var index = attributes.FindIndex(a => a.Name == name);
            if (raw is null)
            {
                attributes.RemoveAt(index);
            }
            else if (index >= 0)
            {
                attributes[index] = (name, raw);
            }
            else
            {
                attributes.Add((name, raw));
            }
        }

        return "{" + string.Join(", ", attributes.Select(a => $"\"{a.Name}\": {a.Raw}")) + "}";
    }

    /// <summary><paramref name="json"/> (an object) with one more member, <paramref name="name"/> again.</summary>
    private static string Twice(string json, string name, string raw) => json[..^1] + $", \"{name}\": {raw}}}";

    private static string Fill(string template, string id, string source) =>
        template.Replace(IdMarker, id, StringComparison.Ordinal).Replace(SourceMarker, source, StringComparison.Ordinal);

    private static (string Id, string Source) NewMarkers() => ("event-" + Guid.NewGuid().ToString("N"), CloudEventRequests.NewSource());

    private static TheoryData<string> Names(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (var name in names)
        {
            data.Add(name);
        }

        return data;
    }

    private static void AssertJsonEqual(JsonNode? expected, JsonNode? actual, string what) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{what}: expected {expected?.ToJsonString()}, got {actual?.ToJsonString()}");

    private Task<long> TotalRowsAsync() => database.ScalarAsync<long>("SELECT count(*) FROM audit_logs");

    /// <summary>No row of the event (by source, by id, or at all: the class's database is its own and its tests run in turn).</summary>
    private async Task AssertNothingStoredAsync(string id, string source, long totalBefore)
    {
        Assert.Equal(0L, await database.RowsOfSourceAsync(source));
        Assert.Equal(0L, await database.RowsOfEventIdAsync(id));
        Assert.Equal(totalBefore, await TotalRowsAsync());
    }
}
