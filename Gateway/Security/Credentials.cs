using Argus.Grains.Storage;
using Microsoft.Net.Http.Headers;

namespace Argus.Gateway.Security;

/// <summary>The credential a request presents: an API key (<c>X-API-Key</c>, or <c>Authorization: Bearer argus_...</c>) or a bearer token.</summary>
public static class Credentials
{
    public const string ApiKeyHeader = "X-API-Key";

    public enum Kind
    {
        None,
        ApiKey,
        Token,
    }

    public static (Kind Kind, string Value) Read(HttpRequest request)
    {
        if (request.Headers.TryGetValue(ApiKeyHeader, out var keys))
        {
            return (Kind.ApiKey, keys.Count == 1 ? keys[0] ?? "" : "");
        }

        var authorization = request.Headers[HeaderNames.Authorization];
        if (authorization.Count == 0)
        {
            return (Kind.None, "");
        }

        var value = authorization.Count == 1 ? authorization[0] ?? "" : "";
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // Another scheme (Basic, ...): not a credential Argus accepts, so refused as invalid.
            return (Kind.ApiKey, "");
        }

        var bearer = value["Bearer ".Length..].Trim();
        return (ApiKeyStore.LooksLikeKey(bearer) ? Kind.ApiKey : Kind.Token, bearer);
    }
}
