using System.Text.Json.Serialization;

namespace Argus.Grains.Abstractions.Serialization;

/// <summary>Source-generated JSON for every Argus wire type: no reflection, trimming-safe.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(AuditEntryJsonConverter)])]
[JsonSerializable(typeof(AuditEntry))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(Partitioning.PartitionMap))]
[JsonSerializable(typeof(Querying.PartitionQuery))]
[JsonSerializable(typeof(Querying.PartitionRows))]
public sealed partial class ArgusJsonContext : JsonSerializerContext;
