using System.Globalization;
using System.Text.RegularExpressions;
using Argus.Gateway.Apis;
using Argus.Grains.Forwarding;
using Microsoft.Extensions.Primitives;

namespace Argus.Gateway.Forwarding;

/// <summary>
/// Reads <c>Argus:Forwarders:&lt;name&gt;</c>: <c>Url</c> (required), <c>BatchSize</c> (1..1000,
/// default 100), <c>Filters:&lt;parameter&gt;</c> (the filters of <c>GET /api/audit-logs</c>, by the same
/// names and rules), <c>Secret</c> and <c>SecretHeader</c> (default <c>Authorization</c>), <c>From</c>
/// (<c>now</c>, the default, or <c>beginning</c>), <c>MaxAttempts</c> for a batch refused with a 4xx
/// (default 3), <c>MaxBackoff</c> (default 30 s) and <c>Timeout</c> (default 10 s). A setting it cannot
/// honour stops the process at start, naming it.
/// </summary>
public static partial class ForwarderSettings
{
    public const string Section = "Argus:Forwarders";

    public static ForwarderCatalog Read(IConfiguration configuration)
    {
        var forwarders = new List<ForwarderDefinition>();
        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            forwarders.Add(Read(section));
        }

        return forwarders.Count == 0 ? ForwarderCatalog.Empty : new ForwarderCatalog(forwarders);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();

    private static ForwarderDefinition Read(IConfigurationSection section)
    {
        var name = section.Key;
        var path = $"{Section}:{name}";
        if (!NamePattern().IsMatch(name))
        {
            throw Invalid(path, "a forwarder's name must be 1 to 64 letters, digits, '-' or '_'");
        }

        if (!Uri.TryCreate(section["Url"], UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw Invalid($"{path}:Url", "must be an absolute http or https URL");
        }

        var filters = section.GetSection("Filters").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "", StringComparer.Ordinal);
        var query = new QueryCollection(filters.ToDictionary(f => f.Key, f => new StringValues(f.Value), StringComparer.OrdinalIgnoreCase));
        if (!AuditQueryParser.TryParseFilters(query, "from", out var filter, out var from, out var error) || from is not null)
        {
            throw Invalid($"{path}:Filters", error?.Message ?? "'from' is not a filter");
        }

        var start = section["From"] ?? "now";
        if (start is not ("now" or "beginning"))
        {
            throw Invalid($"{path}:From", "must be 'now' or 'beginning'");
        }

        return new ForwarderDefinition(
            name,
            url,
            Integer(section, path, "BatchSize", ForwarderDefinition.DefaultBatchSize, 1, ForwarderDefinition.MaxBatchSize),
            filter,
            filters,
            section["SecretHeader"] ?? ForwarderDefinition.DefaultSecretHeader,
            section["Secret"],
            start == "beginning",
            Integer(section, path, "MaxAttempts", ForwarderDefinition.DefaultMaxAttempts, 1, 100),
            Duration(section, path, "MaxBackoff", TimeSpan.FromSeconds(30)),
            Duration(section, path, "Timeout", TimeSpan.FromSeconds(10)));
    }

    private static int Integer(IConfigurationSection section, string path, string key, int fallback, int min, int max) =>
        section[key] is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
        : throw Invalid($"{path}:{key}", $"must be an integer from {min} to {max}");

    private static TimeSpan Duration(IConfigurationSection section, string path, string key, TimeSpan fallback) =>
        section[key] is not { } text ? fallback
        : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero ? value
        : throw Invalid($"{path}:{key}", "must be a positive duration such as 00:00:30");

    private static InvalidOperationException Invalid(string key, string reason) => new($"Invalid setting {key}: {reason}.");
}
