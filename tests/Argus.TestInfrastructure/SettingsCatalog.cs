using System.Globalization;
using System.Reflection;
using Argus.Client;
using Argus.Gateway.Forwarding;
using Argus.Gateway.Hosting;
using Argus.Gateway.Security;
using Argus.Grains.Options;
using Argus.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Argus.TestInfrastructure;

/// <summary>One setting the product reads: its configuration key, default and environment-variable form.</summary>
/// <param name="Default">The value a process runs with when the setting is not given: null when it is unset then.</param>
/// <param name="Options">The options class the setting is bound to, when there is one.</param>
public sealed record Setting(string Key, string Section, string? Default, Type? Options)
{
    /// <summary>The environment variable that sets it: <c>Argus__Silo__Port</c>.</summary>
    public string EnvironmentVariable => ToEnvironmentVariable(Key);

    /// <summary>The default as the settings reference shows it: <c>`value`</c>, <c>unset</c> or <c>empty</c>.</summary>
    public string DocumentedDefault => Default switch
    {
        null => "unset",
        "" => "empty",
        _ => $"`{Default}`",
    };

    public static string ToEnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    public static string FromEnvironmentVariable(string name) => name.Replace("__", ":", StringComparison.Ordinal);
}

/// <summary>
/// Every setting the product reads, found by reflection: each options class with a
/// <c>public const string Section</c> in the product's assemblies, property by property, with the
/// default of a new instance (or of <c>Gateway/appsettings.json</c>, which every process loads);
/// the sections read by hand (<c>Argus:Forwarders</c>), with the defaults their reader applies;
/// the Orleans options Argus tunes under <c>Argus:Membership</c> and <c>Argus:Messaging</c>; and
/// the settings read by key (<c>Argus:Role</c>, <c>ConnectionStrings:Argus</c>, <c>Urls</c>). A new
/// options class is in it without a change here; a new section read by hand stops it, until it is described.
/// </summary>
public static class SettingsCatalog
{
    /// <summary>Where a section read by hand names a forwarder and a filter.</summary>
    public const string NamePlaceholder = "<name>", ParameterPlaceholder = "<parameter>";

    private static readonly Assembly[] ProductAssemblies =
    [
        typeof(ArgusNode).Assembly,
        typeof(Argus.Silo.Options.SiloOptions).Assembly,
        typeof(WriterOptions).Assembly,
        typeof(ArgusClientOptions).Assembly,
        typeof(Argus.Grains.Abstractions.AuditEntry).Assembly,
    ];

    /// <summary>Sections whose keys are read by hand (no options class to reflect on), and how to describe them.</summary>
    private static readonly Dictionary<Type, Func<IEnumerable<Setting>>> ReadByHand = new()
    {
        [typeof(ForwarderSettings)] = Forwarders,
    };

    /// <summary>Orleans' options that sections of Argus bind, and the Orleans options class each one is.</summary>
    private static readonly Dictionary<string, Type> OrleansSections = new()
    {
        [FailureDetection.MembershipSection] = typeof(ClusterMembershipOptions),
        [FailureDetection.MessagingSection] = typeof(SiloMessagingOptions),
    };

    /// <summary>Defaults that differ from process to process, as the reference gives them.</summary>
    private static readonly Dictionary<string, (Func<string> Actual, string Documented)> ComputedDefaults = new()
    {
        ["Argus:Silo:Name"] = (() => $"{Environment.MachineName}-{Environment.ProcessId}", "<host name>-<process id>"),
    };

    private static readonly Lazy<IReadOnlyList<Setting>> Catalog = new(Build);

    public static IReadOnlyList<Setting> All => Catalog.Value;

    /// <summary>The setting a configuration key (any case, forwarder names and filters in place of the placeholders) names, or null.</summary>
    public static Setting? Find(string key)
    {
        var parts = key.Split(':');
        return All.FirstOrDefault(s =>
        {
            var pattern = s.Key.Split(':');
            return pattern.Length == parts.Length && pattern.Zip(parts).All(p =>
                p.First.StartsWith('<') ? p.Second.Length > 0 : string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));
        });
    }

    /// <summary>
    /// Whether the product reads this key: a setting of the catalog, or any property of the Orleans
    /// options under <c>Argus:Membership</c>/<c>Argus:Messaging</c> (the catalog lists those Argus tunes).
    /// </summary>
    public static bool IsSetting(string key)
    {
        if (Find(key) is not null)
        {
            return true;
        }

        var cut = key.LastIndexOf(':');
        return cut > 0
            && OrleansSections.FirstOrDefault(s => string.Equals(s.Key, key[..cut], StringComparison.OrdinalIgnoreCase)).Value is { } orleans
            && Settable(orleans).Any(p => string.Equals(p.Name, key[(cut + 1)..], StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// What a process given these settings would refuse at start: each options section bound and
    /// checked as the product checks it, the role, the forwarders, the connection string, the
    /// credentials mode for the addresses it listens on. Empty when the settings are usable.
    /// </summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        var problems = new List<string>();
        var sections = All.Select(s => s.Options).OfType<Type>().Where(t => SectionOf(t) is not null && !(t.IsAbstract && t.IsSealed)).Distinct()
            .Select(t => (Section: SectionOf(t)!, Type: t))
            .Concat(OrleansSections.Select(s => (s.Key, s.Value)));
        foreach (var (section, type) in sections)
        {
            try
            {
                var options = configuration.GetSection(section).Get(type) ?? Activator.CreateInstance(type)!;
                if (type.GetMethod("Validate", Type.EmptyTypes) is { } validate && validate.Invoke(options, null) is IEnumerable<string> found)
                {
                    problems.AddRange(found);
                }
            }
            catch (InvalidOperationException e)
            {
                problems.Add(e.Message);
            }
        }

        Try(problems, () => ArgusNode.RoleOf(configuration));
        Try(problems, () => ForwarderSettings.Read(configuration));
        Try(problems, () => ArgusClientServiceCollectionExtensions.RequiredConnectionString(configuration));
        Try(problems, () => AuthModes.Resolve(configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Mode, AuthModes.ListenUrls(configuration)));
        return problems.Distinct().ToList();
    }

    /// <summary>Settings given as environment variables (<c>Argus__Silo__Name</c>), as a process reads them.</summary>
    public static IConfiguration FromEnvironment(IEnumerable<KeyValuePair<string, string?>> variables) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(variables.Select(v => KeyValuePair.Create(Setting.FromEnvironmentVariable(v.Key), v.Value)))
            .Build();

    private static void Try(List<string> problems, Action read)
    {
        try
        {
            read();
        }
        catch (Exception e) when (e is InvalidOperationException or OptionsValidationException)
        {
            problems.Add(e.Message);
        }
    }

    private static List<Setting> Build()
    {
        var settings = new List<Setting>
        {
            new(ArgusNode.RoleKey, "Argus", ArgusNode.RoleOf(new ConfigurationBuilder().Build()).ToString(), null),
            new("ConnectionStrings:" + ArgusClientServiceCollectionExtensions.ConnectionStringName, "ConnectionStrings", null, null),
            new("Urls", "", null, null),
        };

        foreach (var type in ProductAssemblies.SelectMany(a => a.GetTypes()).Where(t => SectionOf(t) is not null).OrderBy(t => SectionOf(t), StringComparer.Ordinal))
        {
            if (type.IsAbstract && type.IsSealed)
            {
                settings.AddRange(ReadByHand.TryGetValue(type, out var describe)
                    ? describe()
                    : throw new InvalidOperationException($"{type.FullName} reads {SectionOf(type)} by hand: describe its keys in {nameof(SettingsCatalog)}.{nameof(ReadByHand)}"));
            }
            else
            {
                settings.AddRange(Properties(SectionOf(type)!, type, Activator.CreateInstance(type)!));
            }
        }

        settings.AddRange(OrleansTuned());
        settings = settings.DistinctBy(s => s.Key, StringComparer.OrdinalIgnoreCase).ToList();
        return WithFileDefaults(settings).Select(WithComputedDefault).ToList();
    }

    /// <summary>Every settable property of an options object; one of an options class of its own is a subsection.</summary>
    private static IEnumerable<Setting> Properties(string section, Type type, object instance)
    {
        foreach (var property in Settable(type))
        {
            var key = $"{section}:{property.Name}";
            var value = property.GetValue(instance);
            if (IsLeaf(property.PropertyType))
            {
                yield return new Setting(key, section, Format(value), type);
                continue;
            }

            if (value is null || !ProductAssemblies.Contains(property.PropertyType.Assembly))
            {
                throw new InvalidOperationException($"{type.FullName}.{property.Name} ({property.PropertyType}) is a setting of a shape the catalog does not know");
            }

            if (SectionOf(property.PropertyType) is { } own && !string.Equals(own, key, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{property.PropertyType.FullName} says its section is {own}, but it is bound at {key}");
            }

            foreach (var nested in Properties(key, property.PropertyType, value))
            {
                yield return nested;
            }
        }
    }

    /// <summary>The forwarders' keys, with the defaults <see cref="ForwarderSettings"/> applies to a forwarder given only its URL.</summary>
    private static IEnumerable<Setting> Forwarders()
    {
        var section = $"{ForwarderSettings.Section}:{NamePlaceholder}";
        var plain = ForwarderSettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{ForwarderSettings.Section}:plain:Url"] = "http://forwarded.example/" })
            .Build()).All.Single();
        yield return new Setting($"{section}:Url", section, null, typeof(ForwarderSettings));
        yield return new Setting($"{section}:BatchSize", section, Format(plain.BatchSize), typeof(ForwarderSettings));
        yield return new Setting($"{section}:Filters:{ParameterPlaceholder}", section, null, typeof(ForwarderSettings));
        yield return new Setting($"{section}:Secret", section, Format(plain.Secret), typeof(ForwarderSettings));
        yield return new Setting($"{section}:SecretHeader", section, Format(plain.SecretHeader), typeof(ForwarderSettings));
        yield return new Setting($"{section}:From", section, plain.FromBeginning ? "beginning" : "now", typeof(ForwarderSettings));
        yield return new Setting($"{section}:MaxAttempts", section, Format(plain.MaxAttempts), typeof(ForwarderSettings));
        yield return new Setting($"{section}:MaxBackoff", section, Format(plain.MaxBackoff), typeof(ForwarderSettings));
        yield return new Setting($"{section}:Timeout", section, Format(plain.Timeout), typeof(ForwarderSettings));
    }

    /// <summary>The Orleans options Argus sets to values of its own (failure detection), with those values.</summary>
    private static IEnumerable<Setting> OrleansTuned()
    {
        var services = new ServiceCollection();
        FailureDetection.Configure(services, new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();
        foreach (var (section, type) in OrleansSections)
        {
            var options = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(type));
            var value = options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options)!;
            var plain = Activator.CreateInstance(type)!;
            foreach (var property in Settable(type).Where(p => IsLeaf(p.PropertyType) && !Equals(p.GetValue(value), p.GetValue(plain))))
            {
                yield return new Setting($"{section}:{property.Name}", section, Format(property.GetValue(value)), type);
            }
        }
    }

    /// <summary>The defaults of <c>Gateway/appsettings.json</c>, which every process loads; a key there that is no setting stops the catalog.</summary>
    private static IEnumerable<Setting> WithFileDefaults(List<Setting> settings)
    {
        var file = new ConfigurationBuilder().AddJsonFile(Checkout.PathOf("Gateway/appsettings.json")).Build();
        var given = file.AsEnumerable().Where(kv => kv.Value is not null && !kv.Key.StartsWith("Logging:", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var unknown = given.Keys.Where(k => Find(settings, k) is null).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"Gateway/appsettings.json sets what no code reads: {string.Join(", ", unknown)}");
        }

        return settings.Select(s => given.TryGetValue(s.Key, out var value) ? s with { Default = value } : s);
    }

    private static Setting? Find(List<Setting> settings, string key) =>
        settings.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase));

    private static Setting WithComputedDefault(Setting setting)
    {
        if (!ComputedDefaults.TryGetValue(setting.Key, out var computed))
        {
            return setting;
        }

        return setting.Default == computed.Actual()
            ? setting with { Default = computed.Documented }
            : throw new InvalidOperationException($"{setting.Key} defaults to '{setting.Default}', not to {computed.Documented}: correct {nameof(ComputedDefaults)}");
    }

    private static string? SectionOf(Type type) =>
        type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.FieldType == typeof(string)
            ? (string?)field.GetRawConstantValue()
            : null;

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);

    private static bool IsLeaf(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        return inner.IsPrimitive || inner.IsEnum || inner == typeof(string) || inner == typeof(decimal) || inner == typeof(TimeSpan) || inner == typeof(Uri);
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        string text => text,
        bool flag => flag ? "true" : "false",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        Enum named => named.ToString(),
        Uri uri => uri.ToString(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"no text for a default of {value.GetType()}"),
    };
}
