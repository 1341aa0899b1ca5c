using System.Text.Encodings.Web;
using Argus.Grains.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Security;

/// <summary>Authenticates an Argus API key against the keys in force (<see cref="ApiKeyRing"/>).</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (kind, value) = Credentials.Read(Request);
        if (kind == Credentials.Kind.None)
        {
            return AuthenticateResult.NoResult();
        }

        if (kind != Credentials.Kind.ApiKey || !ApiKeyStore.LooksLikeKey(value))
        {
            return AuthenticateResult.Fail("invalid credential");
        }

        ApiKeyRecord? key;
        try
        {
            key = await keys.FindAsync(ApiKeyStore.Hash(value), Context.RequestAborted);
        }
        catch (CredentialsUnavailableException e)
        {
            return AuthenticateResult.Fail(e);
        }

        if (key is null)
        {
            return AuthenticateResult.Fail("invalid credential");
        }

        var principal = ArgusClaims.Principal(SchemeName, "key:" + key.Name, key.Scopes, key.TenantId);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
