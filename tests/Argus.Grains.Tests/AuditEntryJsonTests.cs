using System.Buffers;
using System.Text;
using System.Text.Json;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Grains.Tests;

/// <summary>The hand-written entry JSON: requests in, entries out, and entries read back by clients.</summary>
public sealed class AuditEntryJsonTests
{
    private const string FullRequest = """
        {
          "traceId": "550E8400-E29B-41D4-A716-446655440000",
          "timestamp": "2024-01-20T12:00:00.1234567+02:00",
          "eventType": "MANAGEMENT_EVENT",
          "eventAction": "DELETE",
          "status": "FAILURE",
          "actorType": "ADMIN",
          "actorId": "admin@example.com",
          "targetType": "RESOURCE",
          "targetId": "resource/42 \"quoted\" é",
          "requestMetadata": {"schemaId": "schema-123", "n": 1.50, "list": [1, null, true]},
          "responseMetadata": {"error": "operation_failed", "errorCode": "404"},
          "additionalMetadata": {},
          "source": "urn:billing-api",
          "tenantId": "tenant-7",
          "requestId": "req-0af7651916cd43dd",
          "ipAddress": "2001:DB8:0:0:0:0:0:1",
          "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
          "httpMethod": "patch",
          "httpPath": "/v1/users/42?fields=email",
          "httpStatus": 404,
          "latencyMs": 12.75,
          "resourceType": "Approval",
          "partnerId": "partner-3",
          "actorEmail": "carlos.silva@empresa.com",
          "role": "operator",
          "namespace": "production",
          "eventGroup": "approval",
          "sessionId": "sess-1",
          "correlationId": "corr-1",
          "userId": 9223372036854775807,
          "vmId": "vm-42",
          "taskId": -9223372036854775808,
          "nodeIp": "10.0.1.50",
          "workerId": "worker-3",
          "errorMessage": "quota exceeded: \"memory\"\n"
        }
        """;

    [Fact]
    public void Request_is_read_into_an_entry()
    {
        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(FullRequest));

        Assert.Equal(Guid.Empty, entry.Id);
        Assert.Equal(Guid.Parse("550e8400-e29b-41d4-a716-446655440000"), entry.TraceId);
        Assert.Equal(new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), entry.Timestamp);
        Assert.Equal("MANAGEMENT_EVENT", entry.EventType);
        Assert.Equal(EventAction.Delete, entry.EventAction);
        Assert.Equal(AuditStatus.Failure, entry.Status);
        Assert.Equal(ActorType.Admin, entry.ActorType);
        Assert.Equal("admin@example.com", entry.ActorId);
        Assert.Equal(TargetType.Resource, entry.TargetType);
        Assert.Equal("resource/42 \"quoted\" é", entry.TargetId);
        Assert.Equal("""{"schemaId": "schema-123", "n": 1.50, "list": [1, null, true]}""", entry.RequestMetadata);
        Assert.Equal("""{"error": "operation_failed", "errorCode": "404"}""", entry.ResponseMetadata);
        Assert.Equal("{}", entry.AdditionalMetadata);
        Assert.Equal("urn:billing-api", entry.Source);
        Assert.Equal("tenant-7", entry.TenantId);
        Assert.Equal("req-0af7651916cd43dd", entry.RequestId);
        Assert.Equal("2001:db8::1", entry.IpAddress);
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64)", entry.UserAgent);
        Assert.Equal("PATCH", entry.HttpMethod);
        Assert.Equal("/v1/users/42?fields=email", entry.HttpPath);
        Assert.Equal(404, entry.HttpStatus);
        Assert.Equal(12.75, entry.LatencyMs);
        Assert.Equal("Approval", entry.ResourceType);
        Assert.Equal("partner-3", entry.PartnerId);
        Assert.Equal("carlos.silva@empresa.com", entry.ActorEmail);
        Assert.Equal("operator", entry.Role);
        Assert.Equal("production", entry.Namespace);
        Assert.Equal("approval", entry.EventGroup);
        Assert.Equal("sess-1", entry.SessionId);
        Assert.Equal("corr-1", entry.CorrelationId);
        Assert.Equal(long.MaxValue, entry.UserId);
        Assert.Equal("vm-42", entry.VmId);
        Assert.Equal(long.MinValue, entry.TaskId);
        Assert.Equal("10.0.1.50", entry.NodeIp);
        Assert.Equal("worker-3", entry.WorkerId);
        Assert.Equal("quota exceeded: \"memory\"\n", entry.ErrorMessage);
        Assert.Equal(default, entry.CreatedAt);
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("::1", "::1")]
    [InlineData("::", "::")]
    [InlineData("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a")]
    [InlineData("::ffff:192.0.2.1", "::ffff:192.0.2.1")]
    [InlineData("::FFFF:C000:0201", "::ffff:192.0.2.1")]
    public void Ip_address_is_stored_in_canonical_form(string sent, string canonical)
    {
        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField("ipAddress", $"\"{sent}\"")));

        Assert.Equal(canonical, entry.IpAddress);
        Assert.Equal(canonical, RequestContextValues.CanonicalIpAddress(canonical));
    }

    [Theory]
    [InlineData("GET", "GET")]
    [InlineData("get", "GET")]
    [InlineData("Propfind", "PROPFIND")]
    [InlineData("M-SEARCH", "M-SEARCH")]
    public void Http_method_is_stored_upper_case(string sent, string stored)
    {
        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField("httpMethod", $"\"{sent}\"")));

        Assert.Equal(stored, entry.HttpMethod);
    }

    [Theory]
    [InlineData("100", 100)]
    [InlineData("599", 599)]
    public void Http_status_bounds_are_accepted(string sent, int stored)
    {
        Assert.Equal(stored, AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField("httpStatus", sent))).HttpStatus);
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("-0", 0.0)]
    [InlineData("0.001", 0.001)]
    [InlineData("1e3", 1000.0)]
    [InlineData("86400000", 86400000.0)]
    public void Latency_is_read_as_milliseconds(string sent, double stored)
    {
        var latency = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField("latencyMs", sent))).LatencyMs;

        Assert.Equal(stored, latency);
        Assert.False(double.IsNegative(latency!.Value), "a negative zero is stored as zero");
    }

    [Theory]
    [InlineData("ipAddress", "\"1.2.3\"")]
    [InlineData("ipAddress", "\"01.2.3.4\"")]
    [InlineData("ipAddress", "\"0x7f.0.0.1\"")]
    [InlineData("ipAddress", "\"1.2.3.256\"")]
    [InlineData("ipAddress", "\"10.0.0.0/8\"")]
    [InlineData("ipAddress", "\"fe80::1%eth0\"")]
    [InlineData("ipAddress", "\"[::1]\"")]
    [InlineData("ipAddress", "\"[::1]:8080\"")]
    [InlineData("ipAddress", "\"1.2.3.4:80\"")]
    [InlineData("ipAddress", "\" 1.2.3.4\"")]
    [InlineData("ipAddress", "\"1:2:3:4:5:6:7:8:9\"")]
    [InlineData("ipAddress", "\"localhost\"")]
    [InlineData("ipAddress", "\"\"")]
    [InlineData("ipAddress", "3232235777")]
    [InlineData("httpStatus", "99")]
    [InlineData("httpStatus", "600")]
    [InlineData("httpStatus", "200.5")]
    [InlineData("httpStatus", "2e2")]
    [InlineData("httpStatus", "-200")]
    [InlineData("httpStatus", "\"200\"")]
    [InlineData("httpStatus", "true")]
    [InlineData("httpStatus", "99999999999")]
    [InlineData("latencyMs", "-1")]
    [InlineData("latencyMs", "-0.001")]
    [InlineData("latencyMs", "1e400")]
    [InlineData("latencyMs", "\"12\"")]
    [InlineData("latencyMs", "[]")]
    [InlineData("httpMethod", "\"\"")]
    [InlineData("httpMethod", "\"GE T\"")]
    [InlineData("httpMethod", "\"GET\\n\"")]
    [InlineData("httpMethod", "\"GET/1\"")]
    [InlineData("httpMethod", "\"ÉCRIRE\"")]
    [InlineData("httpMethod", "\"ABCDEFGHIJKLMNOPQ\"")]
    [InlineData("httpMethod", "1")]
    [InlineData("httpPath", "\"users/42\"")]
    [InlineData("httpPath", "\"\"")]
    [InlineData("httpPath", "\"/a\\u0000\"")]
    [InlineData("source", "\"\"")]
    [InlineData("source", "\" \"")]
    [InlineData("tenantId", "7")]
    [InlineData("requestId", "{}")]
    [InlineData("userAgent", "\"\\u0000\"")]
    public void Invalid_request_context_value_names_its_field(string field, string raw)
    {
        var error = Assert.Throws<AuditValidationException>(() => AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField(field, raw))));

        Assert.Equal(field, error.Field);
        Assert.StartsWith("Validation error: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("source", 256)]
    [InlineData("tenantId", 128)]
    [InlineData("requestId", 128)]
    [InlineData("userAgent", 512)]
    [InlineData("httpPath", 2048)]
    public void Text_request_context_values_are_bounded(string field, int maxLength)
    {
        var prefix = field == "httpPath" ? "/" : "";
        var longest = prefix + new string('x', maxLength - prefix.Length);

        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField(field, $"\"{longest}\"")));
        var error = Assert.Throws<AuditValidationException>(() => AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField(field, $"\"{longest}x\""))));

        Assert.Contains(longest, Encoding.UTF8.GetString(Write(entry with { Id = Guid.NewGuid() })), StringComparison.Ordinal);
        Assert.Equal(field, error.Field);
        Assert.Contains($"at most {maxLength} characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Http_status_error_says_what_is_accepted()
    {
        var error = Assert.Throws<AuditValidationException>(() => AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(WithField("httpStatus", "600"))));

        Assert.StartsWith("Validation error: field 'httpStatus' must be an integer between 100 and 599", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Written_entry_reads_back_as_a_request_and_as_a_stored_entry()
    {
        var request = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(FullRequest));
        var entry = request with
        {
            Id = Guid.Parse("0190a0b0-0000-7000-8000-000000000001"),
            CreatedAt = new DateTimeOffset(2024, 1, 20, 10, 0, 1, TimeSpan.Zero).AddTicks(10),
        };

        var written = Write(entry);

        // As a request, id and createdAt are Argus's to set and are ignored; everything else survives.
        Assert.Equal(entry with { Id = Guid.Empty, CreatedAt = default }, AuditEntryJson.ReadRequest(written));

        // As a stored entry, everything survives, metadata text included.
        Assert.Equal(entry, ReadStored(written));
        Assert.Equal(Encoding.UTF8.GetString(written), Encoding.UTF8.GetString(Write(ReadStored(written))));
    }

    [Fact]
    public void Written_entry_has_the_api_shape_and_leaves_out_absent_optional_fields()
    {
        var entry = new AuditEntry
        {
            Id = Guid.Parse("550e8400-e29b-41d4-a716-446655440001"),
            Timestamp = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero),
            Status = AuditStatus.Success,
            ActorType = ActorType.Service,
            ActorId = "my-service",
            TargetType = TargetType.Service,
            CreatedAt = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560),
        };

        Assert.Equal(
            """{"id":"550e8400-e29b-41d4-a716-446655440001","timestamp":"2024-01-20T10:00:00Z","status":"SUCCESS","actorType":"SERVICE","actorId":"my-service","targetType":"SERVICE","createdAt":"2024-01-20T10:00:00.123456Z"}""",
            Encoding.UTF8.GetString(Write(entry)));
    }

    [Fact]
    public void Request_ignores_id_createdAt_and_unknown_fields_of_any_shape()
    {
        var json = """
            {"id": 5, "createdAt": {"x": [1]}, "extra": [{"status": "BAD"}], "nested": {"a": {"b": []}}, "n": 1e400,
             "timestamp": "2024-01-20T10:00:00Z", "status": "SUCCESS", "actorType": "SYSTEM", "actorId": "a", "targetType": "SERVICE"}
            """;

        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(json));

        Assert.Equal(Guid.Empty, entry.Id);
        Assert.Equal(ActorType.System, entry.ActorType);
        Assert.Null(entry.RequestMetadata);
    }

    [Theory]
    [InlineData("""{"status": "SUCCESS", "actorType": "SERVICE", "actorId": "a", "targetType": "SERVICE"}""", "timestamp")]
    [InlineData("""{"timestamp": "2024-01-20T10:00:00Z", "status": "SUCCESS", "actorType": "SERVICE", "actorId": "a", "targetType": "SERVICE", "actorId": "b"}""", "actorId")]
    [InlineData("""{"timestamp": "2024-01-20T10:00:00Z", "status": "SUCCESS", "actorType": "SERVICE", "actorId": "a", "targetType": "SERVICE", "requestMetadata": {"a": "\u0000"}}""", "requestMetadata")]
    [InlineData("""[]""", "body")]
    [InlineData("""{"timestamp": """, "body")]
    public void Invalid_request_names_its_field(string json, string field)
    {
        var error = Assert.Throws<AuditValidationException>(() => AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(field, error.Field);
        Assert.StartsWith("Validation error: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("createdAt")]
    public void Stored_entry_requires_id_and_createdAt(string missing)
    {
        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(FullRequest)) with
        {
            Id = Guid.NewGuid(),
            CreatedAt = DateTimeOffset.UnixEpoch,
        };
        var json = JsonDocument.Parse(Write(entry)).RootElement.EnumerateObject()
            .Where(p => p.Name != missing)
            .Aggregate("{", (text, p) => text + (text.Length > 1 ? "," : "") + $"\"{p.Name}\":{p.Value.GetRawText()}") + "}";

        var error = Assert.Throws<AuditValidationException>(() => ReadStored(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(missing, error.Field);
    }

    [Fact]
    public void Entries_read_through_the_json_context_use_the_same_shape()
    {
        var entry = AuditEntryJson.ReadRequest(Encoding.UTF8.GetBytes(FullRequest)) with
        {
            Id = Guid.NewGuid(),
            CreatedAt = new DateTimeOffset(2024, 1, 20, 10, 0, 1, TimeSpan.Zero),
        };

        var json = JsonSerializer.Serialize(entry, ArgusJsonContext.Default.AuditEntry);

        Assert.Equal(Encoding.UTF8.GetString(Write(entry)), json);
        Assert.Equal(entry, JsonSerializer.Deserialize(json, ArgusJsonContext.Default.AuditEntry));
    }

    /// <summary>A minimal valid request with one more field, given as raw JSON.</summary>
    private static string WithField(string name, string raw) =>
        $$"""{"timestamp": "2024-01-20T10:00:00Z", "status": "SUCCESS", "actorType": "SERVICE", "actorId": "a", "targetType": "SERVICE", "{{name}}": {{raw}}}""";

    private static byte[] Write(AuditEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            AuditEntryJson.Write(writer, entry);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static AuditEntry ReadStored(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        Assert.True(reader.Read());
        return AuditEntryJson.ReadStored(ref reader);
    }
}
