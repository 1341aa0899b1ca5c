namespace Argus.Grains.Options;

/// <summary>How reads are answered (section <c>Argus:Query</c>).</summary>
public sealed class QueryOptions
{
    public const string Section = "Argus:Query";

    /// <summary>
    /// <see cref="QueryPlan.OneStatement"/> (the default) while every partition lives in the one
    /// Postgres the silos share: measured faster than the fan-out for every page shape.
    /// </summary>
    public QueryPlan Plan { get; set; } = QueryPlan.OneStatement;

    /// <summary>
    /// In a fanned-out read, how long the silo answering waits for another owner's part; past it,
    /// it reads that owner's partitions from Postgres itself.
    /// </summary>
    public TimeSpan OwnerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Plan))
        {
            yield return $"{Section}:Plan must be {nameof(QueryPlan.OneStatement)} or {nameof(QueryPlan.FanOut)}.";
        }

        if (OwnerTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:OwnerTimeout must be positive.";
        }
    }
}
