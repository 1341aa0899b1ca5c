namespace Argus.Grains.Abstractions;

/// <summary>What the action was done to. Wire names: <c>SERVICE</c>, <c>RESOURCE</c>.</summary>
public enum TargetType
{
    Service = 1,
    Resource = 2,
}
