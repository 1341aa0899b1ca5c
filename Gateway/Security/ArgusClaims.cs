using System.Security.Claims;
using Argus.Grains.Abstractions.Security;

namespace Argus.Gateway.Security;

/// <summary>The claims every Argus credential, key or token, is turned into, and what they mean for a request.</summary>
public static class ArgusClaims
{
    /// <summary>One claim per scope the credential holds.</summary>
    public const string Scope = "argus:scope";

    /// <summary>The tenant the credential is bound to; absent for a credential that sees all tenants.</summary>
    public const string Tenant = "argus:tenant";

    /// <summary>Who is calling, as audit entries name it: <c>key:NAME</c>, or the token's subject.</summary>
    public const string Credential = "argus:credential";

    public static ClaimsPrincipal Principal(string scheme, string credential, IEnumerable<string> scopes, string? tenant)
    {
        var claims = new List<Claim> { new(Credential, credential), new(ClaimTypes.Name, credential) };
        claims.AddRange(scopes.Where(ArgusScopes.IsKnown).Distinct(StringComparer.Ordinal).Select(s => new Claim(Scope, s)));
        if (tenant is not null)
        {
            claims.Add(new Claim(Tenant, tenant));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, roleType: null));
    }

    public static bool HasScope(this ClaimsPrincipal principal, string scope) => principal.HasClaim(Scope, scope);

    /// <summary>The entries this request's caller may read.</summary>
    public static AccessScope AccessScope(this HttpContext context) =>
        Grains.Abstractions.Security.AccessScope.OfTenant(context.User.FindFirst(Tenant)?.Value);

    /// <summary>The caller, as audit entries about its actions name it.</summary>
    public static string? CredentialName(this ClaimsPrincipal principal) => principal.FindFirst(Credential)?.Value;
}
