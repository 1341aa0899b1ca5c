using Argus.Grains.Abstractions;

namespace Argus.Grains.Forwarding;

/// <summary>
/// A configured forwarder (<c>Argus:Forwarders:&lt;name&gt;</c>): where committed entries are posted,
/// how many per request, which ones (the filters of <c>GET /api/audit-logs</c>), and the header
/// that proves the request comes from Argus.
/// </summary>
public sealed record ForwarderDefinition(
    string Name,
    Uri Url,
    int BatchSize,
    AuditQuery Filter,
    IReadOnlyDictionary<string, string> FilterText,
    string SecretHeader,
    string? Secret,
    bool FromBeginning,
    int MaxAttempts,
    TimeSpan MaxBackoff,
    TimeSpan Timeout)
{
    public const int DefaultBatchSize = 100, MaxBatchSize = 1000, DefaultMaxAttempts = 3;

    public const string DefaultSecretHeader = "Authorization";
}

/// <summary>The forwarders this process knows (the same settings on every process), and the HTTP client that posts for them.</summary>
public sealed class ForwarderCatalog(IReadOnlyList<ForwarderDefinition> forwarders) : IDisposable
{
    public static readonly ForwarderCatalog Empty = new([]);

    public IReadOnlyList<ForwarderDefinition> All { get; } = forwarders;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    public ForwarderDefinition? Find(string name) => All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    public void Dispose() => Http.Dispose();
}
