namespace Argus.Grains.Abstractions;

/// <summary>Whether a node can serve, and why not when it cannot.</summary>
[GenerateSerializer, Immutable]
public sealed record HealthReport(bool Healthy, string? Reason = null)
{
    public static readonly HealthReport Ok = new(true);
}
