namespace Argus.Grains.Abstractions.Reports;

/// <summary>The target types an entry may carry (a closed vocabulary).</summary>
public sealed record TargetTypeList(IReadOnlyList<string> TargetTypes);
