namespace Argus.Grains.Abstractions.Reports;

/// <summary>The event actions an entry may carry (a closed vocabulary).</summary>
public sealed record EventActionList(IReadOnlyList<string> EventActions);
