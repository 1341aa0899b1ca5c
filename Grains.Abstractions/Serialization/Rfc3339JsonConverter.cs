using System.Text.Json;
using System.Text.Json.Serialization;

namespace Argus.Grains.Abstractions.Serialization;

/// <summary>Instants in Argus's wire format (<see cref="Rfc3339.Format"/>: UTC, <c>Z</c>, microseconds), as entries carry them.</summary>
public sealed class Rfc3339JsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Rfc3339.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException($"expected an RFC 3339 date-time, {Rfc3339.Expected}");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<byte> utf8 = stackalloc byte[Rfc3339.MaxFormattedLength];
        writer.WriteStringValue(utf8[..Rfc3339.Format(value, utf8)]);
    }
}
