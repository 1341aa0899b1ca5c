namespace Argus.Grains.Abstractions.Reports;

/// <summary>
/// A trace as a timeline: its entries oldest first by <c>(timestamp asc, id asc)</c>, at most
/// <paramref name="Limit"/> of them (<paramref name="Truncated"/> when the trace has more), and a
/// summary of the whole trace.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TraceTimeline(Guid TraceId, TraceSummary Summary, IReadOnlyList<AuditEntry> Entries, int Limit, bool Truncated);
