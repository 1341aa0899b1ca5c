namespace Argus.Grains.Options;

/// <summary>How a read over several partitions is answered.</summary>
public enum QueryPlan
{
    /// <summary>One statement over every partition that matters, on the silo the read reaches.</summary>
    OneStatement,

    /// <summary>
    /// Each owner reads its own partitions, the silo asked merges their answers k-way; what an owner
    /// does not answer in time is read from Postgres. Pays off once partitions live on different databases.
    /// </summary>
    FanOut,
}
