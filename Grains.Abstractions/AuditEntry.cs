namespace Argus.Grains.Abstractions;

/// <summary>
/// One audit entry: who (<see cref="ActorType"/>, <see cref="ActorId"/>) did what
/// (<see cref="EventType"/>, <see cref="EventAction"/>) to which target, with what outcome, tied to a trace.
/// </summary>
/// <remarks>
/// Metadata objects are carried as their JSON text so that they travel from the request to
/// Postgres (jsonb) and back without being rebuilt as object graphs.
/// Timestamps are kept at microsecond precision, the precision Postgres stores.
/// </remarks>
public sealed record AuditEntry
{
    /// <summary>Fixed before the first storage attempt, so every retry carries the same id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The distributed trace the entry belongs to; null for a standalone event.</summary>
    public Guid? TraceId { get; init; }

    /// <summary>When the audited action happened, as the caller reported it.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public string? EventType { get; init; }

    public EventAction? EventAction { get; init; }

    public required AuditStatus Status { get; init; }

    public required ActorType ActorType { get; init; }

    public required string ActorId { get; init; }

    public required TargetType TargetType { get; init; }

    public string? TargetId { get; init; }

    /// <summary>JSON object text, or null.</summary>
    public string? RequestMetadata { get; init; }

    /// <summary>JSON object text, or null.</summary>
    public string? ResponseMetadata { get; init; }

    /// <summary>JSON object text, or null.</summary>
    public string? AdditionalMetadata { get; init; }

    /// <summary>The service or system that emitted the entry (a CloudEvent's <c>source</c>).</summary>
    public string? Source { get; init; }

    public string? TenantId { get; init; }

    /// <summary>The id of the request that caused the action, as the caller's edge assigned it.</summary>
    public string? RequestId { get; init; }

    /// <summary>The client's address in canonical text form (as <see cref="System.Net.IPAddress.ToString"/> writes it).</summary>
    public string? IpAddress { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>Upper-case, e.g. GET.</summary>
    public string? HttpMethod { get; init; }

    /// <summary>Starts with '/'; may carry a query string.</summary>
    public string? HttpPath { get; init; }

    /// <summary>100..599.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>How long the request took, in milliseconds; finite and not negative.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>When Argus stored the entry; set by the silo's writer when it forms the commit batch.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The key that decides the entry's partition: its trace, or the entry itself when standalone.</summary>
    public Guid PartitionKey => TraceId ?? Id;

    /// <summary>
    /// True when both describe the same audited event (everything the caller sent is equal).
    /// Used to tell a replay of an idempotent request from a conflicting reuse of its key.
    /// </summary>
    public bool SameEventAs(AuditEntry other) =>
        Id == other.Id
        && TraceId == other.TraceId
        && Timestamp == other.Timestamp
        && EventType == other.EventType
        && EventAction == other.EventAction
        && Status == other.Status
        && ActorType == other.ActorType
        && ActorId == other.ActorId
        && TargetType == other.TargetType
        && TargetId == other.TargetId
        && JsonText.SemanticallyEqual(RequestMetadata, other.RequestMetadata)
        && JsonText.SemanticallyEqual(ResponseMetadata, other.ResponseMetadata)
        && JsonText.SemanticallyEqual(AdditionalMetadata, other.AdditionalMetadata)
        && Source == other.Source
        && TenantId == other.TenantId
        && RequestId == other.RequestId
        && IpAddress == other.IpAddress
        && UserAgent == other.UserAgent
        && HttpMethod == other.HttpMethod
        && HttpPath == other.HttpPath
        && HttpStatus == other.HttpStatus
        && LatencyMs == other.LatencyMs;
}
