namespace Argus.Gateway.SelfAudit;

/// <summary>What Argus records about itself (section <c>Argus:SelfAudit</c>).</summary>
public sealed class SelfAuditOptions
{
    public const string Section = "Argus:SelfAudit";

    /// <summary>Record key changes, refused credentials and configuration changes as audit entries with source <c>argus</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Refused credentials are counted per remote address and recorded once per address per window.</summary>
    public TimeSpan RefusalWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most addresses counted in one window; refusals from further addresses share one count.</summary>
    public int MaxRefusalAddresses { get; set; } = 1000;

    /// <summary>How often a node looks for key changes without an entry yet (made by the command line, or whose append failed).</summary>
    public TimeSpan KeySweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Entries waiting to be appended; past it, new ones are dropped (and logged), never waited for.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>How long one entry keeps being retried while the cluster cannot take it.</summary>
    public TimeSpan AppendTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public IEnumerable<string> Validate()
    {
        if (RefusalWindow < TimeSpan.FromMilliseconds(100) || RefusalWindow > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:RefusalWindow must lie between 00:00:00.1 and 01:00:00.";
        }

        if (MaxRefusalAddresses is < 1 or > 100_000)
        {
            yield return $"{Section}:MaxRefusalAddresses must be between 1 and 100000.";
        }

        if (KeySweepInterval < TimeSpan.FromMilliseconds(100) || KeySweepInterval > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:KeySweepInterval must lie between 00:00:00.1 and 01:00:00.";
        }

        if (QueueCapacity is < 1 or > 1_000_000)
        {
            yield return $"{Section}:QueueCapacity must be between 1 and 1000000.";
        }

        if (AppendTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:AppendTimeout must be positive.";
        }
    }
}
