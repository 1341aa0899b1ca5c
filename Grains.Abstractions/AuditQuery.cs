using Argus.Grains.Abstractions.Validation;

namespace Argus.Grains.Abstractions;

/// <summary>
/// A filtered read. Every filter is optional and they combine with AND. Results are ordered
/// newest first by <c>(timestamp desc, id desc)</c>, a total order, so pages are deterministic.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditQuery
{
    [Id(0)]
    public Guid? TraceId { get; init; }

    [Id(1)]
    public string? EventType { get; init; }

    [Id(2)]
    public EventAction? EventAction { get; init; }

    [Id(3)]
    public AuditStatus? Status { get; init; }

    [Id(4)]
    public ActorType? ActorType { get; init; }

    [Id(5)]
    public string? ActorId { get; init; }

    [Id(6)]
    public TargetType? TargetType { get; init; }

    [Id(7)]
    public string? TargetId { get; init; }

    [Id(8)]
    public string? Source { get; init; }

    [Id(9)]
    public string? TenantId { get; init; }

    [Id(10)]
    public string? RequestId { get; init; }

    /// <summary>In canonical form (see <see cref="Validation.RequestContextValues.CanonicalIpAddress"/>), as entries store it.</summary>
    [Id(11)]
    public string? IpAddress { get; init; }

    /// <summary>Upper-case, as entries store it.</summary>
    [Id(12)]
    public string? HttpMethod { get; init; }

    [Id(13)]
    public string? HttpPath { get; init; }

    [Id(14)]
    public int? HttpStatus { get; init; }

    /// <summary>Inclusive lower bound on <c>timestamp</c>.</summary>
    [Id(15)]
    public DateTimeOffset? Since { get; init; }

    /// <summary>Exclusive upper bound on <c>timestamp</c>.</summary>
    [Id(16)]
    public DateTimeOffset? Until { get; init; }

    [Id(17)]
    public int Limit { get; init; } = AuditLimits.DefaultLimit;

    [Id(18)]
    public int Offset { get; init; }

    /// <summary>
    /// The opaque <c>nextCursor</c> of a previous page of the same filters: the page starts right
    /// after that page's last entry (keyset paging). Not combinable with an offset.
    /// </summary>
    [Id(19)]
    public string? Cursor { get; init; }

    /// <summary>Whether to compute the exact total; null: yes on offset pages, no on cursor pages.</summary>
    [Id(20)]
    public bool? IncludeTotal { get; init; }

    /// <summary>
    /// The entries the caller may read, applied to every statement as one more condition. The query
    /// grain sets it from the scope its caller passes; whatever a query carries here on arrival is replaced.
    /// </summary>
    [Id(21)]
    public Security.AccessScope Scope { get; init; } = Security.AccessScope.Unrestricted;

    /// <summary>Every tenant of a partner.</summary>
    [Id(22)]
    public string? PartnerId { get; init; }

    [Id(23)]
    public string? ActorEmail { get; init; }

    [Id(24)]
    public string? ResourceType { get; init; }
}
