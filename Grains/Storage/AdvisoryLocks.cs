namespace Argus.Grains.Storage;

/// <summary>
/// Postgres advisory-lock keys. Argus uses the two-key form with its own key space, so it never
/// collides with another application's locks in the same database.
/// </summary>
public static class AdvisoryLocks
{
    /// <summary>'ARGU' as an int: the first key of every Argus lock.</summary>
    public const int Space = 0x41524755;

    /// <summary>Held while schema migrations run. Partition p's ownership lock is (Space, p).</summary>
    public const int Migrations = -1;

    /// <summary>Held by <c>argus_ensure_months</c> while it makes months (014_chains_and_months.sql spells it out).</summary>
    public const int Months = -2;

    /// <summary>Held by the transaction that decides whether to add a heads checkpoint, and adds it.</summary>
    public const int Checkpoints = -3;

    /// <summary>Held (per session) by a maintenance run: one silo or command at a time.</summary>
    public const int Maintenance = -4;
}
