namespace Argus.Grains.Options;

/// <summary>Tunables of the silo's group-commit writer (section <c>Argus:Writer</c>).</summary>
public sealed class WriterOptions
{
    public const string Section = "Argus:Writer";

    /// <summary>Most entries in one commit. Large enough never to be the limit at realistic concurrency.</summary>
    public int MaxBatchEntries { get; set; } = 2000;

    /// <summary>
    /// Most entries accepted and not yet answered, across the silo. Past it, appends are refused
    /// with Overloaded (HTTP 503 + Retry-After) instead of queueing without bound.
    /// </summary>
    public int MaxPendingEntries { get; set; } = 20_000;

    /// <summary>How long a batch keeps retrying transient storage failures before its callers are told Unavailable.</summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The problems with these values, empty when they are usable.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxBatchEntries is < 1 or > 100_000)
        {
            yield return $"{Section}:MaxBatchEntries must be between 1 and 100000.";
        }

        if (MaxPendingEntries < MaxBatchEntries)
        {
            yield return $"{Section}:MaxPendingEntries must be at least MaxBatchEntries.";
        }

        if (CommitTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:CommitTimeout must be positive.";
        }
    }
}
