namespace Argus.Grains.Abstractions.Reports;

/// <summary>
/// What happened in a whole trace, however many of its entries a timeline returns: how many
/// entries, when it started and ended, how many succeeded or failed, and who took part.
/// </summary>
/// <param name="EntryCount">Every entry of the trace.</param>
/// <param name="FirstTimestamp">Timestamp of the oldest entry.</param>
/// <param name="LastTimestamp">Timestamp of the newest entry.</param>
/// <param name="DurationMs">From the first to the last timestamp, in milliseconds (microsecond precision).</param>
/// <param name="Outcome">FAILURE when any entry failed, else SUCCESS.</param>
/// <param name="ActorCount">Distinct actor ids in the trace.</param>
/// <param name="Actors">Those actor ids in ordinal order, at most <see cref="Validation.ReportLimits.MaxTraceActors"/>.</param>
[GenerateSerializer, Immutable]
public sealed record TraceSummary(
    long EntryCount,
    DateTimeOffset FirstTimestamp,
    DateTimeOffset LastTimestamp,
    double DurationMs,
    long SuccessCount,
    long FailureCount,
    AuditStatus Outcome,
    long ActorCount,
    IReadOnlyList<string> Actors);
