namespace Argus.Grains.Abstractions.Reports;

/// <summary>
/// Counts of the entries in a time range (of one tenant when <paramref name="TenantId"/> is given): in all, and by status, event type, actor type, event
/// action and resource type. The closed vocabularies (status, actor type, event action) list every value, zero
/// included, in their wire order; event types appear when counted, most frequent first, at most
/// <see cref="Validation.ReportLimits.MaxEventTypes"/> of them (<paramref name="EventTypesTruncated"/>
/// beyond), and so do resource types. Entries without an event type, action or resource type count in <paramref name="Total"/> only.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditStats(
    long Total,
    DateTimeOffset? Since,
    DateTimeOffset? Until,
    IReadOnlyDictionary<string, long> ByStatus,
    IReadOnlyDictionary<string, long> ByEventType,
    IReadOnlyDictionary<string, long> ByActorType,
    IReadOnlyDictionary<string, long> ByEventAction,
    bool EventTypesTruncated,
    string? TenantId = null)
{
    /// <summary>Counts by resource type, most frequent first, like <see cref="ByEventType"/>; entries without one count in <see cref="Total"/> only.</summary>
    [Id(9)]
    public IReadOnlyDictionary<string, long> ByResourceType { get; init; } = new Dictionary<string, long>();

    [Id(10)]
    public bool ResourceTypesTruncated { get; init; }
}
