using System.Net;
using Argus.Gateway.Health;
using Argus.Gateway.Security;

namespace Argus.Gateway.Hosting;

/// <summary>
/// <c>Argus.Gateway probe [URL|PATH]</c>: one GET, for a container's health check (the runtime
/// image has no curl or wget). Without an argument it asks this process's own liveness probe: the
/// first http URL of its settings (<c>Urls</c>, as a node reads them: <c>appsettings.json</c>
/// beside the program, then the environment), on loopback unless it listens on one address, path
/// <c>/health/live</c>; a PATH (<c>/health/ready</c>) is asked there instead; a URL as given.
/// Exit codes: 0 answered 2xx, 1 anything else (another status, refused, no answer within
/// <see cref="Timeout"/>), 2 bad arguments.
/// </summary>
public static class ProbeCommand
{
    /// <summary>Short: an orchestrator's check has a timeout of its own, and a probe that hangs says as much as one that fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private const string Usage = """
        usage: probe [URL | PATH]
        GETs URL, or PATH (default /health/live) on this process's own http address (the setting Urls);
        exits 0 when the answer is 2xx, 1 otherwise.
        """;

    /// <summary>Kestrel's address when none is configured.</summary>
    private const string KestrelDefault = "http://localhost:5000";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        Uri target;
        try
        {
            target = args switch
            {
                [] => Own(ProbeEndpoints.LivePath),
                [var path] when path.StartsWith('/') => Own(path),
                [var url] when Uri.TryCreate(url, UriKind.Absolute, out var given) && (given.Scheme == Uri.UriSchemeHttp || given.Scheme == Uri.UriSchemeHttps) => given,
                [var other] => throw new ArgumentException($"probe: '{other}' is neither an http URL nor a path"),
                _ => throw new ArgumentException("probe: give at most one URL or path"),
            };
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(target);
            var body = await response.Content.ReadAsStringAsync();
            var summary = $"{target}: {(int)response.StatusCode} {Shorten(body)}";
            if (response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync("probe: " + summary);
                return 0;
            }

            await error.WriteLineAsync("probe: " + summary);
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            var reason = e is TaskCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message;
            await error.WriteLineAsync($"probe: {target}: {reason}");
            return 1;
        }
    }

    private static Uri Own(string path) =>
        OwnUrl(new ConfigurationBuilder()
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build(), path);

    /// <summary>PATH on the first http address a process of these settings listens on; asked on loopback unless it listens on one address.</summary>
    public static Uri OwnUrl(IConfiguration configuration, string path)
    {
        var urls = AuthModes.ListenUrls(configuration);
        var listen = (urls.Count == 0 ? [KestrelDefault] : urls)
            .FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"probe: this process listens on no http URL ({string.Join(", ", urls)}): give the URL to ask");

        // Kestrel's wildcards (http://*:3001, http://+:3001) are no URI hosts: name one that parses.
        var rest = listen["http://".Length..];
        var host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':', '/')[0];
        var parsed = new Uri("http://" + (host is "*" or "+" ? "0.0.0.0" : host) + rest[host.Length..]);

        // Kestrel binds every address for a wildcard or a name other than localhost, and both loopbacks for localhost.
        var address = IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
            ? parsed.Host
            : IPAddress.Loopback.ToString();
        return new UriBuilder(Uri.UriSchemeHttp, address, parsed.Port, path).Uri;
    }

    private static string Shorten(string body)
    {
        var line = body.ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : line[..200] + "...";
    }
}
