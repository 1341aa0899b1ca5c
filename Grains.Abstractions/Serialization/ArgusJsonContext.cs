using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Argus.Grains.Abstractions.Serialization;

/// <summary>Source-generated JSON for every Argus wire type: no reflection, trimming-safe.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(AuditEntryJsonConverter), typeof(Rfc3339JsonConverter), typeof(AuditStatusJsonConverter)])]
[JsonSerializable(typeof(AuditEntry))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(Reports.TraceTimeline))]
[JsonSerializable(typeof(Reports.AuditStats))]
[JsonSerializable(typeof(Reports.EventTypeList))]
[JsonSerializable(typeof(Reports.ResourceTypeList))]
[JsonSerializable(typeof(Reports.EventActionList))]
[JsonSerializable(typeof(Reports.TargetTypeList))]
public sealed partial class ArgusJsonContext : JsonSerializerContext
{
    /// <summary>
    /// What the HTTP API writes with: the same contract, with text written as it is (only what JSON
    /// itself requires is escaped), so an error reads 'status', not \u0027status\u0027, to anyone
    /// reading the raw body. The body is always sent as UTF-8 JSON, never embedded in HTML.
    /// </summary>
    public static ArgusJsonContext Web { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new AuditEntryJsonConverter(), new Rfc3339JsonConverter(), new AuditStatusJsonConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>The writer options of <see cref="Web"/>, for bodies written straight to the response.</summary>
    public static JsonWriterOptions WebWriter { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
