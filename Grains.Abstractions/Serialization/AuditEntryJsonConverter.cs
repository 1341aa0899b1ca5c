using System.Text.Json;
using System.Text.Json.Serialization;

namespace Argus.Grains.Abstractions.Serialization;

/// <summary>Lets source-generated contexts carry <see cref="AuditEntry"/> in the API's wire shape.</summary>
public sealed class AuditEntryJsonConverter : JsonConverter<AuditEntry>
{
    public override AuditEntry Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        AuditEntryJson.ReadStored(ref reader);

    public override void Write(Utf8JsonWriter writer, AuditEntry value, JsonSerializerOptions options) =>
        AuditEntryJson.Write(writer, value);
}
