using Argus.Grains.Abstractions.Validation;

namespace Argus.Grains.Abstractions;

/// <summary>
/// A filtered read. Every filter is optional and they combine with AND. Results are ordered
/// newest first by <c>(timestamp desc, id desc)</c>, a total order, so pages are deterministic.
/// </summary>
public sealed record AuditQuery
{
    public Guid? TraceId { get; init; }

    public string? EventType { get; init; }

    public EventAction? EventAction { get; init; }

    public AuditStatus? Status { get; init; }

    public ActorType? ActorType { get; init; }

    public string? ActorId { get; init; }

    public TargetType? TargetType { get; init; }

    public string? TargetId { get; init; }

    public string? Source { get; init; }

    public string? TenantId { get; init; }

    public string? RequestId { get; init; }

    /// <summary>In canonical form (see <see cref="Validation.RequestContextValues.CanonicalIpAddress"/>), as entries store it.</summary>
    public string? IpAddress { get; init; }

    /// <summary>Upper-case, as entries store it.</summary>
    public string? HttpMethod { get; init; }

    public string? HttpPath { get; init; }

    public int? HttpStatus { get; init; }

    /// <summary>Inclusive lower bound on <c>timestamp</c>.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Exclusive upper bound on <c>timestamp</c>.</summary>
    public DateTimeOffset? Until { get; init; }

    public int Limit { get; init; } = AuditLimits.DefaultLimit;

    public int Offset { get; init; }

    /// <summary>
    /// The opaque <c>nextCursor</c> of a previous page of the same filters: the page starts right
    /// after that page's last entry (keyset paging). Not combinable with an offset.
    /// </summary>
    public string? Cursor { get; init; }

    /// <summary>Whether to compute the exact total; null: yes on offset pages, no on cursor pages.</summary>
    public bool? IncludeTotal { get; init; }
}
