namespace Argus.Silo.Options;

/// <summary>Settings of one silo (section <c>Argus:Silo</c>).</summary>
public sealed class SiloOptions
{
    public const string Section = "Argus:Silo";

    public const int DefaultPartitionCount = 64;

    /// <summary>This silo's identity in the partition table; unique per process by default.</summary>
    public string SiloId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Partitions of a new cluster. Fixed when the cluster's schema is first created; later values are ignored.</summary>
    public int PartitionCount { get; set; } = DefaultPartitionCount;

    /// <summary>A trace grain with nothing waiting is deactivated after this long without a call.</summary>
    public TimeSpan TraceGrainIdleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the connection that holds the partition locks is checked.</summary>
    public TimeSpan OwnershipCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an append waits for its partition to be owned (after a lost lock, at start-up) before it fails.</summary>
    public TimeSpan RoutingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a silo answering a query waits for another owner's part of it; past it, it reads
    /// that owner's partitions from Postgres itself.
    /// </summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often this silo writes its heartbeat to the membership table.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A silo whose heartbeat is older than this is declared dead by the others.</summary>
    public TimeSpan DeathTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The address other silos and clients reach this silo at, as published in the partition map.
    /// Empty: the internal endpoint when there is one (<c>h2c://</c>), else the first bound URL.
    /// </summary>
    public string Address { get; set; } = "";

    /// <summary>An HTTP/2-only endpoint for silo-to-silo and client-to-silo calls (see SiloEndpoints); empty: none.</summary>
    public string InternalUrl { get; set; } = "";

    /// <summary>Connections to Postgres for writes and reads.</summary>
    public int MaxPoolSize { get; set; } = 32;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(SiloId))
        {
            yield return $"{Section}:SiloId must not be empty.";
        }

        if (PartitionCount is < 1 or > 4096)
        {
            yield return $"{Section}:PartitionCount must be between 1 and 4096.";
        }

        if (TraceGrainIdleTimeout <= TimeSpan.Zero || OwnershipCheckInterval <= TimeSpan.Zero || RoutingTimeout <= TimeSpan.Zero
            || QueryTimeout <= TimeSpan.Zero
            || HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return $"{Section}: timeouts and intervals must be positive.";
        }

        if (DeathTimeout < HeartbeatInterval * 3)
        {
            yield return $"{Section}:DeathTimeout must be at least three heartbeat intervals.";
        }

        if (MaxPoolSize < 2)
        {
            yield return $"{Section}:MaxPoolSize must be at least 2.";
        }
    }
}
