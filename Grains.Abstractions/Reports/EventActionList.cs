namespace Argus.Grains.Abstractions.Reports;

/// <summary>The event actions an entry may carry (a closed vocabulary).</summary>
[GenerateSerializer, Immutable]
public sealed record EventActionList(IReadOnlyList<string> EventActions);
