using Argus.Grains.Storage;
using Microsoft.Net.Http.Headers;

namespace Argus.Gateway.Security;

/// <summary>
/// The credential a request presents: an API key (<c>X-API-Key</c>, <c>Authorization: Bearer argus_...</c>,
/// or as the password of <c>Authorization: Basic</c>, which browsers send) or a bearer token.
/// </summary>
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
        if (value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            // What a browser sends after a Basic challenge (the dashboard's): an API key as the password, any user name.
            return (Kind.ApiKey, BasicPassword(value["Basic ".Length..].Trim()));
        }

        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // Another scheme: not a credential Argus accepts, so refused as invalid.
            return (Kind.ApiKey, "");
        }

        var bearer = value["Bearer ".Length..].Trim();
        return (ApiKeyStore.LooksLikeKey(bearer) ? Kind.ApiKey : Kind.Token, bearer);
    }

    /// <summary>The password of Basic credentials (<c>base64(user:password)</c>); empty when they are malformed.</summary>
    private static string BasicPassword(string encoded)
    {
        Span<byte> decoded = stackalloc byte[256];
        if (!Convert.TryFromBase64String(encoded, decoded, out var length))
        {
            return "";
        }

        var pair = System.Text.Encoding.UTF8.GetString(decoded[..length]);
        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? "" : pair[(colon + 1)..];
    }
}
