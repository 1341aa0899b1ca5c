namespace Argus.Grains.Retention;

/// <summary>How long entries are kept and how the log's months are maintained (section <c>Argus:Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Argus:Retention";

    /// <summary>The longest retention that can be set: a hundred years.</summary>
    public const int MaxDays = 36_500;

    /// <summary>The most months that can be made ahead.</summary>
    public const int MaxMonthsAhead = 120;

    /// <summary>
    /// Entries are kept at least this many days after their timestamp: maintenance drops a month
    /// once its last instant is this far in the past. Unset (the default): every entry is kept.
    /// </summary>
    public int? Days { get; set; }

    /// <summary>Months made ahead of the current one, so that no commit waits for a month to be made.</summary>
    public int MonthsAhead { get; set; } = 3;

    /// <summary>How often each silo runs maintenance (also once at its start); runs never overlap across the cluster.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The problems with these values, empty when they are usable.</summary>
    public IEnumerable<string> Validate()
    {
        if (Days is < 1 or > MaxDays)
        {
            yield return $"{Section}:Days must be between 1 and {MaxDays} when set (leave it unset to keep every entry); it is {Days}.";
        }

        if (MonthsAhead is < 0 or > MaxMonthsAhead)
        {
            yield return $"{Section}:MonthsAhead must be between 0 and {MaxMonthsAhead}; it is {MonthsAhead}.";
        }

        if (MaintenanceInterval < TimeSpan.FromMinutes(1))
        {
            yield return $"{Section}:MaintenanceInterval must be at least 1 minute; it is {MaintenanceInterval}.";
        }
    }
}
