using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>Tells a Postgres that cannot answer now from a statement it refuses.</summary>
internal static class StorageFailures
{
    /// <summary>
    /// True when Postgres could not be reached or could not serve (connection refused or dropped,
    /// timeouts, the server shutting down, out of resources, a database refusing connections):
    /// the same request may succeed later. False for a statement Postgres refused, which is a bug.
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException refused => refused.IsTransient
            || refused.SqlState is "55000" // object not in prerequisite state: a database not accepting connections
            || refused.SqlState[..2] is "08" or "53" or "57" or "58",
        NpgsqlException or TimeoutException or IOException => true,
        _ => false,
    };

    /// <summary>
    /// What a caller is told about an unavailable read: a statement that ran past the command
    /// timeout is named as such (Postgres is up; the read is too broad), anything else as unreachable.
    /// </summary>
    public static string DescribeRead(Exception e) =>
        e is TimeoutException || e.InnerException is TimeoutException || (e as PostgresException)?.SqlState == PostgresErrorCodes.QueryCanceled
            ? "the read did not finish within Postgres's command timeout; narrow it (a time range, more filters) or skip the total (includeTotal=false)"
            : "Postgres is unreachable: " + e.Message;
}
