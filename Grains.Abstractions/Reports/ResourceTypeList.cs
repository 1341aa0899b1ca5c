namespace Argus.Grains.Abstractions.Reports;

/// <summary>
/// The distinct resource types stored, in ordinal order, at most
/// <see cref="Validation.ReportLimits.MaxEventTypes"/> (<paramref name="Truncated"/> when there are more).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ResourceTypeList(IReadOnlyList<string> ResourceTypes, bool Truncated);
