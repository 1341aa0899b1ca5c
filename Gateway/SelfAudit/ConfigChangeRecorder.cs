using System.Text.RegularExpressions;
using Argus.Client;
using Argus.Gateway.Hosting;
using Argus.Gateway.Security;
using Argus.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.SelfAudit;

/// <summary>
/// At start, compares the node's non-sensitive configuration with the one recorded last for its
/// role (a hash and the values, in Postgres) and, when it differs, records
/// <c>argus.config.changed</c> with the settings that changed. Only settings that shape what the
/// cluster does are compared: the auth mode in force, cluster ids, the partition count, the
/// writer, query, gateway, membership, messaging and self-audit settings; never connection
/// strings, secrets, addresses, ports or names, which differ from node to node.
/// </summary>
public sealed partial class ConfigChangeRecorder(
    IConfiguration configuration,
    IOptions<AuthOptions> auth,
    ConfigSnapshotStore snapshots,
    SelfAuditLog log,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ConfigChangeRecorder> logger) : BackgroundService
{
    private static readonly string[] Sections =
        ["Argus:Auth", "Argus:Cluster", "Argus:Writer", "Argus:Query", "Argus:Gateway", "Argus:Membership", "Argus:Messaging", "Argus:SelfAudit"];

    /// <summary>The effective non-sensitive settings, by configuration key.</summary>
    public static Dictionary<string, string> Settings(IConfiguration configuration, AuthMode? mode)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var section in Sections)
        {
            foreach (var (key, value) in configuration.GetSection(section).AsEnumerable(makePathsRelative: false))
            {
                if (value is not null && !IsSensitive(key))
                {
                    settings[key] = value;
                }
            }
        }

        var role = ArgusNode.RoleOf(configuration);
        settings["Argus:Role"] = role.ToString();
        settings["Argus:Auth:Mode"] = mode?.ToString() ?? "";
        settings.TryAdd("Argus:Cluster:ClusterId", ArgusClusterOptions.DefaultClusterId);
        settings.TryAdd("Argus:Cluster:ServiceId", ArgusClusterOptions.DefaultServiceId);
        if (role == NodeRole.Node)
        {
            settings["Argus:Silo:PartitionCount"] = configuration["Argus:Silo:PartitionCount"]
                ?? Silo.Options.SiloOptions.DefaultPartitionCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!log.Enabled)
        {
            return;
        }

        // After the node has started: its schema is migrated and its partitions are being owned.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var settings = Settings(configuration, auth.Value.Mode);
        var role = settings["Argus:Role"];
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            try
            {
                var changed = await snapshots.RecordAsync(role.ToLowerInvariant(), settings, stoppingToken);
                if (changed is not null)
                {
                    var node = configuration["Argus:Silo:Name"] ?? Environment.MachineName;
                    log.Record(SelfAuditEntries.Configuration(node, role, changed, settings, time));
                }

                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(attempt, e);
                await Task.Delay(TimeSpan.FromSeconds(attempt), time, stoppingToken);
            }
        }
    }

    private static bool IsSensitive(string key) => SensitiveName().IsMatch(key[(key.LastIndexOf(':') + 1)..]);

    [GeneratedRegex("secret|password|passwd|token|connection|credential|apikey|privatekey|certificate", RegexOptions.IgnoreCase)]
    private static partial Regex SensitiveName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Comparing the configuration with the one recorded last failed (attempt {Attempt})")]
    private partial void LogFailed(int attempt, Exception exception);
}
