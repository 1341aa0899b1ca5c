using Argus.Grains.Integrity;

namespace Argus.Grains.Retention;

/// <summary>What one maintenance run did.</summary>
/// <param name="Ran">False when another run (another silo, the command) was under way, so this one did nothing.</param>
/// <param name="Created">The months it made.</param>
/// <param name="Dropped">The months it dropped, oldest first.</param>
/// <param name="Kept">Months past retention it did not drop, and <paramref name="Problem"/> says why.</param>
/// <param name="Interrupted">A drop failed for a passing reason (a lock not granted in time, Postgres unreachable): worth trying again soon.</param>
public sealed record MaintenanceReport(
    bool Ran, IReadOnlyList<string> Created, IReadOnlyList<DroppedMonth> Dropped, IReadOnlyList<string> Kept, string? Problem, bool Interrupted = false)
{
    public static MaintenanceReport Skipped { get; } = new(false, [], [], [], null);
}

/// <summary>A month retention dropped: how many entries it held, and the retention checkpoint that vouches for them.</summary>
public sealed record DroppedMonth(string Table, long Entries, long? CheckpointId, IReadOnlyList<RemovedRun> Runs);
