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
[JsonSerializable(typeof(Reports.EventActionList))]
[JsonSerializable(typeof(Reports.TargetTypeList))]
public sealed partial class ArgusJsonContext : JsonSerializerContext;
