using System.Net;

namespace Argus.Gateway.Security;

/// <summary>
/// Which mode a node runs when <c>Argus:Auth:Mode</c> is not set: <see cref="AuthMode.Off"/> only
/// when every address it listens on is loopback (nobody else can reach it); anywhere else it must
/// be said explicitly, so no node is left open on a network by omission.
/// </summary>
public static class AuthModes
{
    /// <summary>Kestrel's address when none is configured.</summary>
    private const string DefaultUrl = "http://localhost:5000";

    /// <returns>The mode, and whether it was chosen because nothing was set (then the node warns).</returns>
    /// <exception cref="InvalidOperationException">Not set while some address is not loopback.</exception>
    public static (AuthMode Mode, bool Implicit) Resolve(AuthMode? configured, IReadOnlyCollection<string> listenUrls)
    {
        if (configured is { } mode)
        {
            return (mode, false);
        }

        var urls = listenUrls.Count == 0 ? [DefaultUrl] : listenUrls;
        var exposed = urls.Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count == 0)
        {
            return (AuthMode.Off, true);
        }

        throw new InvalidOperationException(
            $"{AuthOptions.Section}:Mode is not set and this node listens on {string.Join(", ", exposed)}, which is not loopback only: " +
            $"set {AuthOptions.Section}:Mode (environment: Argus__Auth__Mode) to Required, or to Off to run without credentials on purpose.");
    }

    /// <summary>The URLs the node is configured to listen on: <c>urls</c>, <c>http_ports</c>/<c>https_ports</c> (every address), Kestrel's endpoints.</summary>
    public static IReadOnlyCollection<string> ListenUrls(IConfiguration configuration)
    {
        var urls = new List<string>();
        urls.AddRange(Split(configuration["urls"]));
        urls.AddRange(Split(configuration["http_ports"]).Select(p => "http://*:" + p));
        urls.AddRange(Split(configuration["https_ports"]).Select(p => "https://*:" + p));
        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        return urls;
    }

    /// <summary>Whether a listen URL binds only a loopback address (<c>localhost</c>, 127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var end = rest.IndexOf('/');
        var authority = end < 0 ? rest : rest[..end];
        string host;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            host = close < 0 ? authority : authority[1..close];
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
