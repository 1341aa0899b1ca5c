using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Argus.Grains.Abstractions.Serialization;

namespace Argus.Gateway.Facades;

/// <summary>FastAPI's error body for everything but validation: <c>{"detail": "..."}</c>.</summary>
public sealed record FastApiDetail([property: JsonPropertyName("detail")] string Detail);

/// <summary>FastAPI's <c>HTTPValidationError</c>: every refused parameter.</summary>
public sealed record FastApiValidationError([property: JsonPropertyName("detail")] IReadOnlyList<FastApiValidationIssue> Detail);

/// <summary>One entry of <see cref="FastApiValidationError"/> (pydantic's <c>ValidationError</c>).</summary>
public sealed record FastApiValidationIssue(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("loc")] IReadOnlyList<string> Loc,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("input")] string? Input);

/// <summary>A Kubernetes <c>Status</c> of a failed request.</summary>
public sealed record KubernetesStatus(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] KubernetesStatusDetails? Details = null)
{
    [JsonPropertyName("kind"), JsonPropertyOrder(-4)]
    public string Kind => "Status";

    [JsonPropertyName("apiVersion"), JsonPropertyOrder(-3)]
    public string ApiVersion => "v1";

    [JsonPropertyName("metadata"), JsonPropertyOrder(-2)]
    public KubernetesListMeta Metadata { get; } = new();

    [JsonPropertyName("status"), JsonPropertyOrder(-1)]
    public string Status => "Failure";
}

/// <summary>Kubernetes' <c>ListMeta</c>/<c>ObjectMeta</c> of a Status: empty.</summary>
public sealed record KubernetesListMeta;

/// <summary>The causes of a refusal, one per bad field.</summary>
public sealed record KubernetesStatusDetails([property: JsonPropertyName("causes")] IReadOnlyList<KubernetesStatusCause> Causes);

public sealed record KubernetesStatusCause(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("field")] string Field);

/// <summary>
/// The facades' bodies: absent values are written as explicit <c>null</c> (the servers these APIs
/// come from write every field), instants in Argus's RFC 3339 form, text as it is. Names are
/// camelCase unless a property names itself (the FastAPI bodies are snake_case).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never, Converters = [typeof(Rfc3339JsonConverter)])]
[JsonSerializable(typeof(FastApiDetail))]
[JsonSerializable(typeof(FastApiValidationError))]
[JsonSerializable(typeof(KubernetesStatus))]
[JsonSerializable(typeof(AdminAuditList))]
[JsonSerializable(typeof(AdminAuditItem))]
[JsonSerializable(typeof(AdminAuditActions))]
[JsonSerializable(typeof(AdminAuditResourceTypes))]
[JsonSerializable(typeof(AdminAuditStats))]
[JsonSerializable(typeof(AuditEventResponse))]
[JsonSerializable(typeof(AuditLogList))]
public sealed partial class FacadeJsonContext : JsonSerializerContext
{
    public static FacadeJsonContext Web { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new Rfc3339JsonConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>A metadata object stored as JSON text, as a value to write; null stays null.</summary>
    public static JsonElement? Element(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
