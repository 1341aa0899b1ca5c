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
[GenerateSerializer, Immutable]
public sealed record AuditEntry
{
    /// <summary>Fixed before the first storage attempt, so every retry carries the same id.</summary>
    [Id(0)]
    public required Guid Id { get; init; }

    /// <summary>The distributed trace the entry belongs to; null for a standalone event.</summary>
    [Id(1)]
    public Guid? TraceId { get; init; }

    /// <summary>When the audited action happened, as the caller reported it.</summary>
    [Id(2)]
    public required DateTimeOffset Timestamp { get; init; }

    [Id(3)]
    public string? EventType { get; init; }

    [Id(4)]
    public EventAction? EventAction { get; init; }

    [Id(5)]
    public required AuditStatus Status { get; init; }

    [Id(6)]
    public required ActorType ActorType { get; init; }

    [Id(7)]
    public required string ActorId { get; init; }

    [Id(8)]
    public required TargetType TargetType { get; init; }

    [Id(9)]
    public string? TargetId { get; init; }

    /// <summary>JSON object text, or null.</summary>
    [Id(10)]
    public string? RequestMetadata { get; init; }

    /// <summary>JSON object text, or null.</summary>
    [Id(11)]
    public string? ResponseMetadata { get; init; }

    /// <summary>JSON object text, or null.</summary>
    [Id(12)]
    public string? AdditionalMetadata { get; init; }

    /// <summary>The service or system that emitted the entry (a CloudEvent's <c>source</c>).</summary>
    [Id(13)]
    public string? Source { get; init; }

    [Id(14)]
    public string? TenantId { get; init; }

    /// <summary>The id of the request that caused the action, as the caller's edge assigned it.</summary>
    [Id(15)]
    public string? RequestId { get; init; }

    /// <summary>The client's address in canonical text form (as <see cref="System.Net.IPAddress.ToString"/> writes it).</summary>
    [Id(16)]
    public string? IpAddress { get; init; }

    [Id(17)]
    public string? UserAgent { get; init; }

    /// <summary>Upper-case, e.g. GET.</summary>
    [Id(18)]
    public string? HttpMethod { get; init; }

    /// <summary>Starts with '/'; may carry a query string.</summary>
    [Id(19)]
    public string? HttpPath { get; init; }

    /// <summary>100..599.</summary>
    [Id(20)]
    public int? HttpStatus { get; init; }

    /// <summary>How long the request took, in milliseconds; finite and not negative.</summary>
    [Id(21)]
    public double? LatencyMs { get; init; }

    /// <summary>When Argus stored the entry; set by the silo's writer when it forms the commit batch.</summary>
    [Id(22)]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The kind of resource acted on, e.g. Approval or Incident.</summary>
    [Id(23)]
    public string? ResourceType { get; init; }

    /// <summary>The partner the tenant belongs to (a group of tenants).</summary>
    [Id(24)]
    public string? PartnerId { get; init; }

    /// <summary>The acting user's e-mail address, as the caller reported it.</summary>
    [Id(25)]
    public string? ActorEmail { get; init; }

    /// <summary>The role the actor acted in, e.g. operator.</summary>
    [Id(26)]
    public string? Role { get; init; }

    /// <summary>The namespace (environment, cluster namespace) the action took place in.</summary>
    [Id(27)]
    public string? Namespace { get; init; }

    /// <summary>A coarse grouping of event types, e.g. auth or vm.</summary>
    [Id(28)]
    public string? EventGroup { get; init; }

    [Id(29)]
    public string? SessionId { get; init; }

    /// <summary>Ties entries of one business operation together across requests.</summary>
    [Id(30)]
    public string? CorrelationId { get; init; }

    /// <summary>The caller's numeric user id.</summary>
    [Id(31)]
    public long? UserId { get; init; }

    [Id(32)]
    public string? VmId { get; init; }

    [Id(33)]
    public long? TaskId { get; init; }

    /// <summary>The address of the node that handled the action, in canonical text form (like <see cref="IpAddress"/>).</summary>
    [Id(34)]
    public string? NodeIp { get; init; }

    [Id(35)]
    public string? WorkerId { get; init; }

    /// <summary>What went wrong, in words, for a failed action.</summary>
    [Id(36)]
    public string? ErrorMessage { get; init; }

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
        && LatencyMs == other.LatencyMs
        && ResourceType == other.ResourceType
        && PartnerId == other.PartnerId
        && ActorEmail == other.ActorEmail
        && Role == other.Role
        && Namespace == other.Namespace
        && EventGroup == other.EventGroup
        && SessionId == other.SessionId
        && CorrelationId == other.CorrelationId
        && UserId == other.UserId
        && VmId == other.VmId
        && TaskId == other.TaskId
        && NodeIp == other.NodeIp
        && WorkerId == other.WorkerId
        && ErrorMessage == other.ErrorMessage;
}
