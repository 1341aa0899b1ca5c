using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Argus.TestInfrastructure;

/// <summary>
/// An OpenID Connect provider as small as a resource server needs: on a loopback port it serves the
/// discovery document and a JWKS with one RSA key generated at start, and it signs tokens with that
/// key (or, to be refused, with another under the same key id, or not at all).
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string KeyId = "test-key-1";

    private readonly WebApplication app;
    private readonly RSA key;
    private readonly JsonWebTokenHandler handler = new();

    private TestIdentityProvider(WebApplication app, RSA key, string issuer, string audience)
    {
        this.app = app;
        this.key = key;
        Issuer = issuer;
        Audience = audience;
    }

    /// <summary>The provider's issuer (<c>iss</c>), which is also its authority: <c>http://127.0.0.1:PORT</c>.</summary>
    public string Issuer { get; }

    /// <summary>The <c>aud</c> tokens carry unless told otherwise.</summary>
    public string Audience { get; }

    public static async Task<TestIdentityProvider> StartAsync(string audience = "argus")
    {
        var key = RSA.Create(2048);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TestIdentityProvider? provider = null;
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["issuer"] = provider!.Issuer,
            ["jwks_uri"] = provider.Issuer + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.RsaSha256 },
            ["response_types_supported"] = new[] { "token" },
            ["subject_types_supported"] = new[] { "public" },
        }), "application/json"));
        app.MapGet("/jwks", () =>
        {
            var parameters = key.ExportParameters(includePrivateParameters: false);
            return Results.Text(JsonSerializer.Serialize(new
            {
                keys = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "RSA",
                        ["use"] = "sig",
                        ["alg"] = SecurityAlgorithms.RsaSha256,
                        ["kid"] = KeyId,
                        ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                        ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                    },
                },
            }), "application/json");
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
        provider = new TestIdentityProvider(app, key, address, audience);
        return provider;
    }

    /// <summary>
    /// A signed token for <paramref name="subject"/> with <paramref name="claims"/> (a string array
    /// becomes a JSON array), valid from <paramref name="notBefore"/> (default: a minute ago) until
    /// <paramref name="expires"/> (default: in ten minutes).
    /// </summary>
    public string Issue(
        string subject,
        IReadOnlyDictionary<string, object>? claims = null,
        string? audience = null,
        string? issuer = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expires = null,
        bool signWithForeignKey = false)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject };
        var from = notBefore ?? now.AddMinutes(-1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            Claims = payload,
            IssuedAt = (from < now ? from : now).UtcDateTime,
            NotBefore = from.UtcDateTime,
            Expires = (expires ?? now.AddMinutes(10)).UtcDateTime,
            SigningCredentials = new SigningCredentials(
                new RsaSecurityKey(signWithForeignKey ? RSA.Create(2048) : key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        };
        return handler.CreateToken(descriptor);
    }

    /// <summary>The same token as <see cref="Issue"/> would make, but with <c>alg: none</c> and no signature.</summary>
    public string IssueUnsigned(string subject, IReadOnlyDictionary<string, object>? claims = null)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>(claims ?? new Dictionary<string, object>())
        {
            ["sub"] = subject,
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["iat"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(10).ToUnixTimeSeconds(),
        };
        var header = new Dictionary<string, string> { ["alg"] = "none", ["typ"] = "JWT", ["kid"] = KeyId };
        return Encode(header) + "." + Encode(payload) + ".";
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        key.Dispose();
    }

    private static string Encode<T>(T value) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value)));
}
