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

    /// <summary>Requests each credential (or, without a valid one, each client address) may make (<c>Argus:Auth:RateLimit</c>).</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

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

        foreach (var problem in RateLimit.Validate())
        {
            yield return problem;
        }
    }
}

/// <summary>
/// A token bucket per credential (section <c>Argus:Auth:RateLimit</c>): <see cref="Burst"/> requests
/// at once, refilled at <see cref="PermitsPerSecond"/>. Requests without a valid credential share a
/// bucket per client address, so a flood of bad keys is limited as well.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = AuthOptions.Section + ":RateLimit";

    /// <summary>Whether requests are limited; when not set, they are exactly when credentials are required.</summary>
    public bool? Enabled { get; set; }

    /// <summary>The rate each bucket refills at, in requests per second (fractions allowed: 0.5 is one request every 2 s).</summary>
    public double PermitsPerSecond { get; set; } = 1000;

    /// <summary>The bucket's size: how many requests a caller that has been quiet may make at once.</summary>
    public int Burst { get; set; } = 2000;

    /// <summary>
    /// Most client addresses tracked at once (a bucket each, IPv6 per /64). Past it, requests from
    /// further addresses without a valid credential share one bucket until idle buckets are dropped.
    /// </summary>
    public int MaxTrackedAddresses { get; set; } = 10_000;

    public IEnumerable<string> Validate()
    {
        if (!double.IsFinite(PermitsPerSecond) || PermitsPerSecond < 0.001 || PermitsPerSecond > 1_000_000)
        {
            yield return $"{Section}:PermitsPerSecond must lie between 0.001 and 1000000";
        }

        if (Burst is < 1 or > 1_000_000)
        {
            yield return $"{Section}:Burst must lie between 1 and 1000000";
        }

        if (MaxTrackedAddresses is < 1 or > 1_000_000)
        {
            yield return $"{Section}:MaxTrackedAddresses must lie between 1 and 1000000";
        }
    }
}
