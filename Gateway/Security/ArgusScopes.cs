namespace Argus.Gateway.Security;

/// <summary>What a credential may do. Each is independent: a key for writing cannot read, an administrator's key need not read the log.</summary>
public static class ArgusScopes
{
    /// <summary>Append entries (Argus API and CloudEvents).</summary>
    public const string Write = "audit:write";

    /// <summary>Read anything: pages, entries, traces, reports.</summary>
    public const string Read = "audit:read";

    /// <summary>Manage keys and configuration.</summary>
    public const string Admin = "audit:admin";

    public static IReadOnlyList<string> All { get; } = [Write, Read, Admin];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}
