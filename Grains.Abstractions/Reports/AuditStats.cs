namespace Argus.Grains.Abstractions.Reports;

/// <summary>
/// Counts of the entries in a time range (of one tenant when <paramref name="TenantId"/> is given): in all, and by status, event type, actor type and event
/// action. The closed vocabularies (status, actor type, event action) list every value, zero
/// included, in their wire order; event types appear when counted, most frequent first, at most
/// <see cref="Validation.ReportLimits.MaxEventTypes"/> of them (<paramref name="EventTypesTruncated"/>
/// beyond). Entries without an event type or action count in <paramref name="Total"/> only.
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
    string? TenantId = null);
