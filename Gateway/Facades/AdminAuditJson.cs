using System.Text.Json;
using System.Text.Json.Serialization;
using Argus.Grains.Abstractions;

namespace Argus.Gateway.Facades;

/// <summary>A page of the admin audit API: <c>{"items", "total", "page", "per_page", "pages"}</c>.</summary>
public sealed record AdminAuditList(
    [property: JsonPropertyName("items")] IReadOnlyList<AdminAuditItem> Items,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("per_page")] int PerPage,
    [property: JsonPropertyName("pages")] long Pages);

/// <summary>An entry as the admin audit API shows it, every field present (null when absent).</summary>
public sealed record AdminAuditItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("tenant_id")] string? TenantId,
    [property: JsonPropertyName("partner_id")] string? PartnerId,
    [property: JsonPropertyName("actor_id")] string ActorId,
    [property: JsonPropertyName("actor_email")] string? ActorEmail,
    [property: JsonPropertyName("actor_type")] string ActorType,
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("resource_type")] string? ResourceType,
    [property: JsonPropertyName("resource_id")] string? ResourceId,
    [property: JsonPropertyName("result")] string Result,
    [property: JsonPropertyName("ip_address")] string? IpAddress,
    [property: JsonPropertyName("user_agent")] string? UserAgent,
    [property: JsonPropertyName("trace_id")] Guid? TraceId,
    [property: JsonPropertyName("details")] JsonElement? Details)
{
    /// <summary>The projection: <c>action</c> is the event type, <c>resource_id</c> the target, <c>result</c> the status in lower case, <c>details</c> the additional metadata.</summary>
    public static AdminAuditItem Of(AuditEntry entry) => new(
        entry.Id,
        entry.Timestamp,
        entry.TenantId,
        entry.PartnerId,
        entry.ActorId,
        entry.ActorEmail,
        entry.ActorType.ToWire(),
        entry.EventType,
        entry.ResourceType,
        entry.TargetId,
        entry.Status.ToWire().ToLowerInvariant(),
        entry.IpAddress,
        entry.UserAgent,
        entry.TraceId,
        FacadeJsonContext.Element(entry.AdditionalMetadata));
}

public sealed record AdminAuditActions([property: JsonPropertyName("actions")] IReadOnlyList<string> Actions);

public sealed record AdminAuditResourceTypes([property: JsonPropertyName("resource_types")] IReadOnlyList<string> ResourceTypes);

/// <summary>Counts of the entries in a range: in all, by result (lower case), by action (event type) and by resource type.</summary>
public sealed record AdminAuditStats(
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("by_result")] IReadOnlyDictionary<string, long> ByResult,
    [property: JsonPropertyName("by_action")] IReadOnlyDictionary<string, long> ByAction,
    [property: JsonPropertyName("by_resource_type")] IReadOnlyDictionary<string, long> ByResourceType);
