using System.Net;
using Argus.Silo.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Argus.Silo.Hosting;

/// <summary>
/// The silo's internal HTTP/2 endpoint (<c>Argus:Silo:InternalUrl</c>, e.g. <c>http://10.0.0.5:3201</c>):
/// silo-to-silo and client-to-silo calls use it with HTTP/2 over cleartext, which Kestrel serves
/// only on an HTTP/2-only endpoint. When it is set, Kestrel's endpoints are configured here:
/// the public URLs (<c>Urls</c>, HTTP/1.1 and HTTP/2) and the internal one.
/// </summary>
public static class SiloEndpoints
{
    public const string InternalUrlKey = SiloOptions.Section + ":InternalUrl";

    public static WebApplicationBuilder AddSiloEndpoints(this WebApplicationBuilder builder)
    {
        var internalUrl = builder.Configuration[InternalUrlKey];
        if (string.IsNullOrWhiteSpace(internalUrl))
        {
            return builder; // internal calls share the public port over HTTP/1.1
        }

        var publicUrls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "http://127.0.0.1:3001")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var endpoint = new InternalEndpoint(ParseHttp(internalUrl).Host);
        builder.Services.AddSingleton(endpoint);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var url in publicUrls)
            {
                Listen(kestrel, ParseHttp(url), HttpProtocols.Http1AndHttp2, null);
            }

            Listen(kestrel, ParseHttp(internalUrl), HttpProtocols.Http2, options => endpoint.Options = options);
        });
        return builder;
    }

    private static void Listen(KestrelServerOptions kestrel, Uri url, HttpProtocols protocols, Action<ListenOptions>? capture)
    {
        void Configure(ListenOptions options)
        {
            options.Protocols = protocols;
            capture?.Invoke(options);
        }

        if (url.Host == "localhost")
        {
            kestrel.ListenLocalhost(url.Port, Configure);
        }
        else if (IPAddress.TryParse(url.Host, out var address))
        {
            kestrel.Listen(address, url.Port, Configure);
        }
        else
        {
            throw new InvalidOperationException($"'{url}': give an IP address or localhost to listen on.");
        }
    }

    private static Uri ParseHttp(string url)
    {
        var uri = new Uri(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
        return uri.Scheme == Uri.UriSchemeHttp ? uri : throw new InvalidOperationException($"'{url}': only http:// endpoints are supported.");
    }
}

/// <summary>The bound internal endpoint; its address is published as <c>h2c://host:port</c>.</summary>
public sealed class InternalEndpoint(string host)
{
    internal ListenOptions? Options { get; set; }

    /// <summary>Known once the server has started (the port may have been chosen by the system).</summary>
    public string Address => Options?.EndPoint is IPEndPoint bound
        ? $"h2c://{host}:{bound.Port}"
        : throw new InvalidOperationException("The internal endpoint is not bound yet.");
}
