namespace Argus.Grains.Abstractions;

/// <summary>The kind of action. Wire names: <c>CREATE</c>, <c>READ</c>, <c>UPDATE</c>, <c>DELETE</c>.</summary>
public enum EventAction
{
    Create = 1,
    Read = 2,
    Update = 3,
    Delete = 4,
}
