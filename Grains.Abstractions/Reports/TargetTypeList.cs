namespace Argus.Grains.Abstractions.Reports;

/// <summary>The target types an entry may carry (a closed vocabulary).</summary>
[GenerateSerializer, Immutable]
public sealed record TargetTypeList(IReadOnlyList<string> TargetTypes);
