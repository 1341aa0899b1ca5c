using System.Text.RegularExpressions;
using Argus.Gateway.Forwarding;
using Microsoft.Extensions.Configuration;

namespace Argus.Gateway.Tests;

/// <summary>
/// The settings reference (docs/operations.md, "## Settings") against the catalog of what the code
/// reads (<see cref="SettingsCatalog"/>): every setting, with its environment variable and default,
/// and nothing that does not exist; and the catalog's own check refusing what a process refuses.
/// </summary>
public sealed partial class SettingsReferenceTests
{
    [Fact]
    public void The_settings_reference_lists_every_setting_with_its_environment_variable_and_default_and_nothing_else()
    {
        var rows = ReferenceRows();
        var documented = rows.Select(r => r.Key).ToList();
        var catalog = SettingsCatalog.All.Select(s => s.Key).ToList();

        Assert.True(documented.Count == documented.Distinct().Count(),
            "listed more than once: " + string.Join(", ", documented.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key)));
        var missing = catalog.Except(documented).ToList();
        var extra = documented.Except(catalog).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"docs/operations.md's settings reference lacks: {string.Join(", ", missing)}; lists what the code does not read: {string.Join(", ", extra)}");

        var wrong = new List<string>();
        foreach (var row in rows)
        {
            var setting = SettingsCatalog.All.Single(s => s.Key == row.Key);
            if (row.EnvironmentVariable != $"`{setting.EnvironmentVariable}`")
            {
                wrong.Add($"{row.Key}: environment variable {row.EnvironmentVariable}, not `{setting.EnvironmentVariable}`");
            }

            if (!row.Default.StartsWith(setting.DocumentedDefault, StringComparison.Ordinal))
            {
                wrong.Add($"{row.Key}: default {row.Default}, not {setting.DocumentedDefault}");
            }

            if (row.Meaning.Length == 0)
            {
                wrong.Add($"{row.Key}: says nothing of what it does");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Every_forwarder_setting_of_the_catalog_changes_the_forwarder_it_is_given_to()
    {
        var section = $"{ForwarderSettings.Section}:audit";
        var given = new Dictionary<string, string?>
        {
            ["BatchSize"] = "7",
            ["Filters:status"] = "FAILURE",
            ["Secret"] = "s3cret",
            ["SecretHeader"] = "X-Signature",
            ["From"] = "beginning",
            ["MaxAttempts"] = "9",
            ["MaxBackoff"] = "00:01:00",
            ["Timeout"] = "00:00:03",
        };
        var keys = SettingsCatalog.All.Where(s => s.Options == typeof(ForwarderSettings))
            .Select(s => s.Key[(ForwarderSettings.Section.Length + SettingsCatalog.NamePlaceholder.Length + 2)..].Replace(SettingsCatalog.ParameterPlaceholder, "status", StringComparison.Ordinal))
            .Where(k => k != "Url")
            .ToList();
        Assert.Equal(given.Keys.Order(), keys.Order());

        var plain = Read(new Dictionary<string, string?>());
        foreach (var (key, value) in given)
        {
            Assert.True(Read(new Dictionary<string, string?> { [key] = value }) != plain, $"{section}:{key} = {value} left the forwarder as it was");
        }

        string Read(Dictionary<string, string?> settings)
        {
            var d = ForwarderSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(
                settings.Select(s => KeyValuePair.Create($"{section}:{s.Key}", s.Value)).Append(KeyValuePair.Create<string, string?>($"{section}:Url", "http://siem.example/ingest"))).Build())
                .All.Single();
            return $"{d.Url} {d.BatchSize} {string.Join(",", d.FilterText.Select(f => f.Key + "=" + f.Value))} {d.Secret} {d.SecretHeader} {d.FromBeginning} {d.MaxAttempts} {d.MaxBackoff} {d.Timeout}";
        }
    }

    [Fact]
    public void The_catalog_check_refuses_what_a_process_refuses_and_accepts_the_defaults()
    {
        var usable = SettingsCatalog.FromEnvironment(new Dictionary<string, string?> { ["ConnectionStrings__Argus"] = "Host=db;Username=argus;Database=argus" });
        Assert.Empty(SettingsCatalog.Problems(usable));

        var refused = SettingsCatalog.FromEnvironment(new Dictionary<string, string?>
        {
            ["Argus__Role"] = "Silo",
            ["Argus__Silo__Port"] = "0",
            ["Argus__Writer__CommitTimeout"] = "soon",
            ["Argus__Forwarders__siem__Url"] = "siem",
            ["Urls"] = "http://0.0.0.0:3001",
        });
        var problems = string.Join("\n", SettingsCatalog.Problems(refused));
        foreach (var named in new[] { "Argus:Role", "Argus:Silo:Port", "CommitTimeout", "Argus:Forwarders:siem:Url", "ConnectionStrings:Argus", "Argus:Auth:Mode" })
        {
            Assert.Contains(named, problems, StringComparison.Ordinal);
        }

        Assert.True(SettingsCatalog.IsSetting("Argus:Membership:ProbeTimeout"));
        Assert.True(SettingsCatalog.IsSetting("argus:forwarders:siem:filters:status"));
        Assert.True(SettingsCatalog.IsSetting("Argus:Membership:NumProbedSilos"), "any property of Orleans' membership options may be set");
        Assert.False(SettingsCatalog.IsSetting("Argus:Silo:Adress"));
        Assert.False(SettingsCatalog.IsSetting("Argus:Membership:NoSuchOption"));
    }

    /// <summary>The table rows of docs/operations.md's "## Settings" section whose first cell is a setting.</summary>
    private static List<(string Key, string EnvironmentVariable, string Default, string Meaning)> ReferenceRows()
    {
        var text = File.ReadAllText(Checkout.PathOf("docs/operations.md"));
        var start = text.IndexOf("\n## Settings\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/operations.md has no \"## Settings\" section");
        var end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        var rows = new List<(string, string, string, string)>();
        foreach (var line in section.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (SettingCell().Match(cells[0]) is { Success: true } key)
            {
                Assert.True(cells.Length == 4, $"a settings row has 4 cells (setting, environment variable, default, meaning): {line}");
                rows.Add((key.Groups[1].Value, cells[1], cells[2], cells[3]));
            }
        }

        return rows;
    }

    [GeneratedRegex("^`([A-Za-z][^`]*)`$")]
    private static partial Regex SettingCell();
}
