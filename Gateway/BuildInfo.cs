using System.Reflection;

namespace Argus.Gateway;

/// <summary>What is running: the version, commit and build time baked in by the build (Directory.Build.targets).</summary>
public static class BuildInfo
{
    public const string Service = "argus";

    private static readonly Assembly Assembly = typeof(BuildInfo).Assembly;

    public static string Version { get; } =
        Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string GitCommit { get; } = Metadata("GitCommit");

    public static string BuildTime { get; } = Metadata("BuildTime");

    private static string Metadata(string key) =>
        Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "unknown";
}
