namespace Argus.Grains.Abstractions;

/// <summary>
/// Argus cannot answer right now (Postgres unreachable, no silo reachable, the node starting).
/// Nothing is wrong with the request: the same request may succeed later.
/// </summary>
[GenerateSerializer]
public sealed class ArgusUnavailableException : Exception
{
    public ArgusUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
