namespace Argus.Grains.Abstractions;

/// <summary>
/// One page of a query: the entries, the exact number of matches (null when not computed), the
/// page's bounds, and the cursor of the next page (null when no entry follows this page).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditPage(IReadOnlyList<AuditEntry> Logs, long? Total, int Limit, int Offset, string? NextCursor = null);
