using System.Net;
using Argus.Grains.Abstractions;

namespace Argus.Grains.Storage;

/// <summary>
/// Every filter of <see cref="AuditQuery"/> as a condition on a column and its value (null: not
/// filtered). The reads' SQL (pages, keys, counts) and the filter fingerprint carried by cursors
/// are built from this one list, so a new filter is one line here, and one in
/// <see cref="Abstractions.Querying.AuditQueryMatch"/>, which decides the same in memory (its tests
/// fail until it has it).
/// </summary>
internal static class AuditFilters
{
    /// <param name="query">The filters.</param>
    /// <param name="time">The column the time range bounds: the entry's time, or the hour of a maintained count.</param>
    public static IEnumerable<(string Condition, object? Value)> Of(AuditQuery query, string time = "occurred_at") =>
    [
        ("trace_id =", query.TraceId),
        ("event_type =", query.EventType),
        ("event_action =", query.EventAction?.ToWire()),
        ("status =", query.Status?.ToWire()),
        ("actor_type =", query.ActorType?.ToWire()),
        ("actor_id =", query.ActorId),
        ("target_type =", query.TargetType?.ToWire()),
        ("target_id =", query.TargetId),
        ("source =", query.Source),
        ("tenant_id =", query.TenantId),
        ("request_id =", query.RequestId),
        ("ip_address =", query.IpAddress is null ? null : IPAddress.Parse(query.IpAddress)),
        ("http_method =", query.HttpMethod),
        ("http_path =", query.HttpPath),
        ("http_status =", (short?)query.HttpStatus),
        ("partner_id =", query.PartnerId),
        ("actor_email =", query.ActorEmail),
        ("resource_type =", query.ResourceType),
        (time + " >=", query.Since?.UtcDateTime),
        (time + " <", query.Until?.UtcDateTime),
        // The caller's scope: a condition like the filters, so every statement built from this list carries it.
        ("tenant_id =", query.Scope.Tenant),
    ];

    /// <summary>
    /// True when the maintained counts (<c>audit_counts_hourly</c>, <c>audit_counts_total</c>) can
    /// answer how many entries match: every filter is one of their columns or the time range.
    /// </summary>
    public static bool AreCounted(AuditQuery query) => Of(query with
    {
        EventType = null, EventAction = null, Status = null, ActorType = null, TargetType = null, ResourceType = null, Since = null, Until = null,
    }).All(f => f.Value is null);
}
