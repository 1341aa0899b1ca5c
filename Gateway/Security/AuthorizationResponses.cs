using Argus.Gateway.Apis;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Argus.Gateway.Security;

/// <summary>
/// Every refusal of a credential in Argus's error shape, whatever kind the credential was: 401 with
/// <c>WWW-Authenticate</c> when it is missing or not valid (the same words for every reason, so a
/// caller learns nothing about which part of a key or token was wrong), 403 naming the scope it
/// lacks, 503 when the keys cannot be read.
/// </summary>
public sealed class AuthorizationResponses(IOptions<Options.GatewayOptions> gateway, SelfAudit.CredentialRefusals refusals) : IAuthorizationMiddlewareResultHandler
{
    public const string Challenge = "Bearer realm=\"argus\", ApiKey header=\"X-API-Key\"";

    /// <summary>The challenge of pages a browser opens (the dashboard): it asks for an API key as the password.</summary>
    public const string BrowserChallenge = "Basic realm=\"argus\", charset=\"UTF-8\"";

    private readonly AuthorizationMiddlewareResultHandler defaults = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await defaults.HandleAsync(next, context, policy, result);
            return;
        }

        // The authentication middleware keeps only a successful result; a failed one is asked for again
        // (the handler answers from its cache) to tell a credential that could not be checked from a bad one.
        var authenticated = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult ?? await context.AuthenticateAsync();
        var failure = authenticated.Failure;
        if (failure is CredentialsUnavailableException unavailable)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, unavailable.Message,
                retryAfterSeconds: gateway.Value.RetryAfterSeconds);
            return;
        }

        if (result.Challenged)
        {
            if (Credentials.Read(context.Request).Kind != Credentials.Kind.None)
            {
                refusals.Refused(RemoteAddress(context));
            }

            await UnauthorizedAsync(context);
            return;
        }

        var missing = result.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().Select(r => r.Scope).FirstOrDefault();
        await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden,
            missing is null ? "forbidden" : $"forbidden: this credential lacks the scope '{missing}'");
    }

    /// <summary>401: no credential, or one that is not valid, whatever kind it is and whatever was wrong with it.</summary>
    public static Task UnauthorizedAsync(HttpContext context)
    {
        context.Response.Headers[HeaderNames.WWWAuthenticate] =
            context.GetEndpoint()?.Metadata.GetMetadata<BrowserCredentials>() is null ? Challenge : BrowserChallenge;
        var message = Credentials.Read(context.Request).Kind == Credentials.Kind.None
            ? "authentication required: send an API key (X-API-Key, or Authorization: Bearer) or a bearer token"
            : "invalid credential";
        return ApiResponses.ErrorAsync(context, StatusCodes.Status401Unauthorized, message);
    }

    private static string? RemoteAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
            : null;
}

/// <summary>Marks endpoints a browser opens by itself: a refusal there challenges with Basic, so the browser asks for a key.</summary>
public sealed class BrowserCredentials;
