namespace Argus.Gateway.Security;

/// <summary>
/// Bearer tokens (JWTs) from an external identity provider (section <c>Argus:Auth:Jwt</c>). Without
/// an <see cref="Authority"/> no token is accepted: a bearer that is not an Argus key is refused.
/// </summary>
public sealed class JwtOptions
{
    public const string Section = AuthOptions.Section + ":Jwt";

    public const string DefaultTenantClaim = "tenant_id";

    /// <summary>
    /// How far a token's <c>exp</c> and <c>nbf</c> may be off the node's clock. Small on purpose: a
    /// token works at most this long after it expired, and clocks of servers agree far better.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The identity provider's issuer URL; its OpenID Connect discovery document
    /// (<c>/.well-known/openid-configuration</c>) names the issuer and the signing keys. https, or
    /// http only for a provider on this machine (loopback address or <c>localhost</c>).
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The <c>aud</c> a token must carry to be accepted here; required with <see cref="Authority"/>.</summary>
    public string? Audience { get; set; }

    /// <summary>The claim naming the tenant a token is bound to; a token without it is bound to no tenant.</summary>
    public string TenantClaim { get; set; } = DefaultTenantClaim;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(TenantClaim))
        {
            yield return $"{Section}:TenantClaim must name a claim (default {DefaultTenantClaim})";
        }

        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(Audience))
            {
                yield return $"{Section}:Audience is set but {Section}:Authority is not: set the identity provider's URL, or remove the audience";
            }

            yield break;
        }

        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            yield return $"{Section}:Authority must be an absolute https URL (the identity provider's issuer), not '{Authority}'";
        }
        else if (authority.Scheme == Uri.UriSchemeHttp && !authority.IsLoopback)
        {
            yield return $"{Section}:Authority must use https: '{Authority}' is plain http on a host that is not loopback, " +
                "so the signing keys could be replaced on the way; http is allowed only for a provider on this machine (localhost, 127.0.0.1, ::1)";
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return $"{Section}:Audience is required with {Section}:Authority: the 'aud' a token must carry to be accepted by Argus";
        }
    }
}
