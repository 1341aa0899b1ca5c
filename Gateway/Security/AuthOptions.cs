namespace Argus.Gateway.Security;

/// <summary>Authentication and authorisation (section <c>Argus:Auth</c>; environment form <c>Argus__Auth__Mode</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Argus:Auth";

    /// <summary>
    /// <see cref="AuthMode.Required"/> or <see cref="AuthMode.Off"/>. When not set, a node listening
    /// only on loopback addresses runs <see cref="AuthMode.Off"/> (with a warning at start) and any
    /// other node refuses to start.
    /// </summary>
    public AuthMode? Mode { get; set; }

    /// <summary>How often each node reloads the API keys: a revoked key stops working within this (plus one read).</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Bearer tokens from an external identity provider (<c>Argus:Auth:Jwt</c>); off unless its authority is set.</summary>
    public JwtOptions Jwt { get; set; } = new();

    public IEnumerable<string> Validate()
    {
        if (KeyRefreshInterval < TimeSpan.FromMilliseconds(100) || KeyRefreshInterval > TimeSpan.FromSeconds(4))
        {
            yield return $"{Section}:KeyRefreshInterval must lie between 00:00:00.1 and 00:00:04 (a revoked key must stop working within 5 s)";
        }

        foreach (var problem in Jwt.Validate())
        {
            yield return problem;
        }
    }
}
