namespace Argus.Grains.Abstractions;

/// <summary>One page of a query: the entries, the exact number of matches, and the page's bounds.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Logs, long Total, int Limit, int Offset);
