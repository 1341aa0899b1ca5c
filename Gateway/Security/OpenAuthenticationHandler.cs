using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Security;

/// <summary>With <see cref="AuthMode.Off"/>: every caller is the local user, with every scope and no tenant.</summary>
public sealed class OpenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Off";

    private static readonly System.Security.Claims.ClaimsPrincipal Local = ArgusClaims.Principal(SchemeName, "local", ArgusScopes.All, tenant: null);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Local, SchemeName)));
}
