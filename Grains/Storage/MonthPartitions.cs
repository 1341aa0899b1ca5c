using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// The months of <c>audit_logs</c> this silo knows exist. Maintenance makes months ahead of time;
/// an entry of any other month (an import of old entries, a clock far ahead) has its month made
/// before the commit that stores it, in its own statement, so the commit never waits on DDL.
/// </summary>
public sealed class MonthPartitions(NpgsqlDataSource dataSource)
{
    private readonly HashSet<int> known = [];
    private readonly Lock gate = new();

    /// <summary>Makes every month of <paramref name="times"/> that this silo has not seen yet (idempotent across silos).</summary>
    public async Task EnsureAsync(IReadOnlyList<DateTime> times, CancellationToken cancellationToken)
    {
        List<DateTime>? missing = null;
        lock (gate)
        {
            foreach (var time in times)
            {
                var key = Key(time);
                if (!known.Contains(key) && (missing is null || !missing.Exists(m => Key(m) == key)))
                {
                    (missing ??= []).Add(MonthOf(time));
                }
            }
        }

        if (missing is null)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("SELECT argus_ensure_months(m, m) FROM unnest($1::timestamptz[]) AS m");
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = missing.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        lock (gate)
        {
            foreach (var month in missing)
            {
                known.Add(Key(month));
            }
        }
    }

    /// <summary>Forgets every month, so the next commit checks them again (after maintenance dropped some).</summary>
    public void Forget()
    {
        lock (gate)
        {
            known.Clear();
        }
    }

    /// <summary>The error of an insert whose row has no month to go to (Postgres names no constraint for it).</summary>
    public static bool IsMissingMonth(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.CheckViolation && e.MessageText.StartsWith("no partition of relation", StringComparison.Ordinal);

    /// <summary>
    /// The first instant of the month of <paramref name="time"/>. The driver sends DateTime.MinValue and
    /// MaxValue as -infinity and infinity, which have months of their own (below year 1, above 9999).
    /// </summary>
    private static DateTime MonthOf(DateTime time) =>
        time == DateTime.MaxValue || time == DateTime.MinValue ? time : new DateTime(time.Year, time.Month, 1, 0, 0, 0, DateTimeKind.Utc);

    private static int Key(DateTime time) =>
        time == DateTime.MaxValue ? int.MaxValue : time == DateTime.MinValue ? int.MinValue : (time.Year * 12) + time.Month;
}
