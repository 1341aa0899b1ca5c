using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Argus.Gateway.Security;

/// <summary>
/// Bearer tokens (JWTs) from the identity provider of <see cref="JwtOptions.Authority"/>, checked by
/// ASP.NET Core's JwtBearer handler: issuer and signing keys from the provider's discovery document,
/// audience, lifetime (within <see cref="JwtOptions.ClockSkew"/>) and an asymmetric signature; an
/// unsigned token (<c>alg: none</c>) never passes. A valid token becomes the same claims as a key
/// (<see cref="ArgusClaims"/>); a refused one is answered by <see cref="AuthorizationResponses"/>
/// in the same words as a bad key.
/// </summary>
public static partial class TokenAuthentication
{
    public const string SchemeName = "Jwt";

    /// <summary>Asymmetric only: the provider publishes public keys, so a shared-secret (HS*) token could only be forged.</summary>
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public static AuthenticationBuilder AddArgusTokens(this AuthenticationBuilder authentication, JwtOptions settings)
    {
        var authority = new Uri(settings.Authority!, UriKind.Absolute);
        return authentication.AddJwtBearer(SchemeName, o =>
        {
            o.Authority = settings.Authority;
            o.Audience = settings.Audience;
            // Checked at start already: plain http only for a provider on a loopback address.
            o.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps;
            o.BackchannelTimeout = TimeSpan.FromSeconds(10);
            // The claims as the token names them (sub, scope, scp), not renamed to .NET's URIs.
            o.MapInboundClaims = false;
            o.SaveToken = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidAudience = settings.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                ClockSkew = JwtOptions.ClockSkew,
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                ValidAlgorithms = Algorithms,
            };
            o.Events = new JwtBearerEvents
            {
                OnMessageReceived = RequireProviderAsync,
                OnTokenValidated = context =>
                {
                    if (Principal(context.Principal!, settings.TenantClaim) is { } principal)
                    {
                        context.Principal = principal;
                    }
                    else
                    {
                        context.Fail("invalid credential");
                    }

                    return Task.CompletedTask;
                },

                // AuthorizationResponses answers every refusal; should anything challenge this scheme directly,
                // it gets the same answer rather than JwtBearer's own header and error description.
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    await AuthorizationResponses.UnauthorizedAsync(context.HttpContext);
                },
            };
        });
    }

    /// <summary>
    /// The Argus principal for a validated token: <c>token:SUB</c>, scopes from <c>scope</c> (space
    /// separated) or <c>scp</c> (one claim per scope, or space separated), unknown scopes left out, the
    /// tenant from <paramref name="tenantClaim"/>. Null when the token names no subject, or names its
    /// tenant more than once or as an empty string.
    /// </summary>
    public static ClaimsPrincipal? Principal(ClaimsPrincipal token, string tenantClaim)
    {
        var subject = token.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject))
        {
            return null;
        }

        var tenants = token.FindAll(tenantClaim).Select(c => c.Value).ToList();
        if (tenants.Count > 1 || tenants.Any(string.IsNullOrEmpty))
        {
            return null;
        }

        var scopes = token.FindAll(c => c.Type is "scope" or "scp")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return ArgusClaims.Principal(SchemeName, "token:" + subject, scopes, tenants.SingleOrDefault());
    }

    /// <summary>
    /// Until the provider's discovery document and keys have been read once, a token cannot be
    /// checked: that is answered 503, as keys that cannot be read are, not 401. Once read, they stay
    /// in force while the provider is unreachable.
    /// </summary>
    private static async Task RequireProviderAsync(MessageReceivedContext context)
    {
        if (context.Options.ConfigurationManager is not { } configuration)
        {
            return;
        }

        try
        {
            await configuration.GetConfigurationAsync(context.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            LogProviderUnreachable(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TokenAuthentication)), context.Options.Authority, e);
            context.Fail(new CredentialsUnavailableException("tokens cannot be checked: the identity provider cannot be reached"));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The identity provider at {Authority} cannot be reached: bearer tokens are answered 503 until its keys have been read")]
    private static partial void LogProviderUnreachable(ILogger logger, string? authority, Exception exception);
}
