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
          "additionalMetadata": {}
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
        Assert.Equal(default, entry.CreatedAt);
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
