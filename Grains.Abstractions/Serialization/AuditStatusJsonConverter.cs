using System.Text.Json;
using System.Text.Json.Serialization;

namespace Argus.Grains.Abstractions.Serialization;

/// <summary><see cref="AuditStatus"/> by its wire name (SUCCESS, FAILURE), as entries carry it.</summary>
public sealed class AuditStatusJsonConverter : JsonConverter<AuditStatus>
{
    public override AuditStatus Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && WireNames.Ordinal(WireNames.Statuses, reader.GetString()!) is { } ordinal
            ? (AuditStatus)ordinal
            : throw new JsonException($"expected {WireNames.OneOf(WireNames.Statuses)}");

    public override void Write(Utf8JsonWriter writer, AuditStatus value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToWire());
}
