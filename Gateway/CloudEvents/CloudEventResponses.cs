using System.Text.Json.Serialization;

namespace Argus.Gateway.CloudEvents;

/// <summary><c>202</c> for one event: its CloudEvent id, the audit entry it became, and whether it was a replay.</summary>
public sealed record EventAccepted(string? Id, Guid EntryId, bool Duplicate);

/// <summary>The outcome of a batch: how many events were accepted, and each refused event's index, id and reason.</summary>
public sealed record BatchResult(int Accepted, int Failed, IReadOnlyList<BatchError> Errors);

/// <summary>One refused event of a batch: <c>status</c> is the HTTP status it would have had alone.</summary>
public sealed record BatchError(int Index, string? Id, int Status, string Error, string? Field);

/// <summary>The seed envelope of the operational endpoints: <c>id</c>, <c>version</c> (of the envelope) and <c>responsetime</c>.</summary>
public abstract record Envelope
{
    public const string ServiceId = "argus.auditmanager";

    [JsonPropertyName("id")]
    [JsonPropertyOrder(-3)]
    public string Id { get; init; } = ServiceId;

    [JsonPropertyName("version")]
    [JsonPropertyOrder(-2)]
    public string Version { get; init; } = "1.0";

    [JsonPropertyName("responsetime")]
    [JsonPropertyOrder(-1)]
    public required string ResponseTime { get; init; }
}

public sealed record HealthEnvelope : Envelope
{
    /// <summary><c>UP</c> or <c>DOWN</c>.</summary>
    public required string Status { get; init; }

    public string? Reason { get; init; }
}

public sealed record VersionEnvelope : Envelope
{
    public required string Service { get; init; }

    public required string ServiceVersion { get; init; }

    public required string GitCommit { get; init; }

    public required string BuildTime { get; init; }
}

public sealed record ConfigEnvelope : Envelope
{
    public required IngestSettings Ingest { get; init; }

    /// <summary>Null on a gateway-only process: partitions belong to the silos.</summary>
    public required PartitionSettings? Partitions { get; init; }

    /// <summary>Null on a gateway-only process: batching happens in the silos.</summary>
    public required BatchingSettings? Batching { get; init; }

    public required RetentionSettings Retention { get; init; }

    public required IntegritySettings Integrity { get; init; }
}

public sealed record IngestSettings(int MaxBatchSize, int MaxBodyBytes, int MaxBatchBodyBytes, string Acknowledgement, int RetryAfterSeconds);

public sealed record PartitionSettings(int Count);

public sealed record BatchingSettings(int MaxBatchEntries, int MaxPendingEntries, double CommitTimeoutSeconds, int WritersPerSilo);

/// <summary>How long entries are kept and how months are maintained; the numbers are null on a gateway-only process (the silos maintain the log).</summary>
public sealed record RetentionSettings(string Policy, int? Days, int? MonthsAhead, double? MaintenanceIntervalSeconds);

/// <summary>Signed checkpoints: how often heads are recorded, and the id of this process's signing key (null: it signs nothing).</summary>
public sealed record IntegritySettings(double CheckpointIntervalSeconds, string? SigningKeyId);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventAccepted))]
[JsonSerializable(typeof(BatchResult))]
[JsonSerializable(typeof(HealthEnvelope))]
[JsonSerializable(typeof(VersionEnvelope))]
[JsonSerializable(typeof(ConfigEnvelope))]
public sealed partial class CloudEventsJsonContext : JsonSerializerContext
{
    /// <summary>The same contract with text written as it is (see <c>ArgusJsonContext.Web</c>).</summary>
    public static CloudEventsJsonContext Web { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
