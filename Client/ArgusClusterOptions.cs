namespace Argus.Client;

/// <summary>
/// The Orleans cluster Argus runs as (section <c>Argus:Cluster</c>): silos and the clients that
/// call them must name the same cluster and service, and find each other in the same Postgres.
/// </summary>
public sealed class ArgusClusterOptions
{
    public const string Section = "Argus:Cluster";

    public const string DefaultClusterId = "argus";

    public const string DefaultServiceId = "argus";

    /// <summary>The deployment: silos with the same id form one cluster (Orleans' ClusterId).</summary>
    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>The service across deployments (Orleans' ServiceId).</summary>
    public string ServiceId { get; set; } = DefaultServiceId;

    /// <summary>
    /// How long an append keeps trying while its partition's owner moves, is lost or is being
    /// taken over (and a read while no silo answers) before it fails as unavailable.
    /// </summary>
    public TimeSpan RoutingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an Orleans client (a gateway-only process, an in-cluster service) keeps trying to reach its first silo.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ClusterId) || string.IsNullOrWhiteSpace(ServiceId))
        {
            yield return $"{Section}:ClusterId and {Section}:ServiceId must not be empty.";
        }

        if (RoutingTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:RoutingTimeout and {Section}:ConnectTimeout must be positive.";
        }
    }
}
