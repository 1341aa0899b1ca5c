namespace Argus.Silo.Options;

/// <summary>Settings of one silo (section <c>Argus:Silo</c>). Cluster and service ids are in <c>Argus:Cluster</c>.</summary>
public sealed class SiloOptions
{
    public const string Section = "Argus:Silo";

    public const int DefaultPartitionCount = 64;

    public const int DefaultPort = 11111;

    public const int DefaultGatewayPort = 30000;

    /// <summary>This silo's name in the membership table and logs; unique per process by default.</summary>
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// The address other silos and clients reach this silo at: an IP address, or a host name resolved
    /// once when the silo starts (a container's own name on a compose network). Loopback by default:
    /// set it on any real network.
    /// </summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>The address to listen on, when it differs from the advertised one (e.g. <c>0.0.0.0</c> in a container); empty: the advertised one.</summary>
    public string ListenAddress { get; set; } = "";

    /// <summary>Silo-to-silo port.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Port Orleans clients (a gateway-only process, in-cluster services) connect to; 0: no client gateway on this silo.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>Partitions of a new cluster. Fixed when the cluster's schema is first created; later values are ignored.</summary>
    public int PartitionCount { get; set; } = DefaultPartitionCount;

    /// <summary>
    /// How often the silo checks, besides every membership change, that the partitions it should own
    /// are active and hands over those it should not.
    /// </summary>
    public TimeSpan BalanceInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Connections to Postgres for writes, reads and membership.</summary>
    public int MaxPoolSize { get; set; } = 32;

    /// <summary>
    /// The silo runs in a Kubernetes pod, on Orleans' Kubernetes hosting: it is named after its pod
    /// and advertises the pod's IP (<c>POD_NAME</c>, <c>POD_IP</c>, <c>POD_NAMESPACE</c> from the
    /// downward API; <see cref="Name"/> and <see cref="AdvertisedAddress"/> stay unset), labels its
    /// pod with the cluster's ids, and declares dead the silos whose pods are gone. Needs a role
    /// that may get, list, watch and patch the namespace's pods.
    /// </summary>
    public bool Kubernetes { get; set; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return $"{Section}:Name must not be empty.";
        }

        if (!System.Net.IPAddress.TryParse(AdvertisedAddress, out _) && Uri.CheckHostName(AdvertisedAddress) != UriHostNameType.Dns)
        {
            yield return $"{Section}:AdvertisedAddress must be an IP address or a host name.";
        }

        if (ListenAddress.Length > 0 && !System.Net.IPAddress.TryParse(ListenAddress, out _))
        {
            yield return $"{Section}:ListenAddress must be an IP address or empty.";
        }

        if (Port is < 1 or > 65535 || GatewayPort is < 0 or > 65535 || Port == GatewayPort)
        {
            yield return $"{Section}:Port (1..65535) and GatewayPort (0..65535, 0 for none) must be valid and differ.";
        }

        if (PartitionCount is < 1 or > 4096)
        {
            yield return $"{Section}:PartitionCount must be between 1 and 4096.";
        }

        if (BalanceInterval <= TimeSpan.Zero)
        {
            yield return $"{Section}:BalanceInterval must be positive.";
        }

        if (MaxPoolSize < 2)
        {
            yield return $"{Section}:MaxPoolSize must be at least 2.";
        }
    }
}
