using Argus.Grains.Integrity;
using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Argus.Grains.Retention;

/// <summary>
/// Maintenance of the log's months: makes the months ahead (<see cref="RetentionOptions.MonthsAhead"/>),
/// and, with <see cref="RetentionOptions.Days"/> set, drops every month that ended at least that
/// long ago (and <c>audit_logs_before</c>), never one that may still hold an entry to keep. One run
/// at a time across the cluster (a session advisory lock).
/// </summary>
/// <remarks>
/// A month is dropped in one transaction that vouches for what it removes and keeps every count
/// exact: a signed <c>retention</c> checkpoint names the removed entries as runs of consecutive
/// sequence numbers per partition with the hash of each run's last entry (the previous hash of the
/// entry after it), and the transaction deletes the entries' ids from <c>audit_ids</c>, their hours
/// from <c>audit_counts_hourly</c> (subtracting them from <c>audit_counts_total</c>), adds them to
/// <c>argus_removed</c> (the unfiltered total is the fences' sum less those), and drops the table.
/// <para>
/// Locks, so that neither writers nor readers wait long and nothing deadlocks with a commit: the
/// month is read, and most ids and hourly counts deleted, without blocking anyone (entries of a
/// month past retention are rare, but may still arrive). Then <c>audit_logs</c> is locked: from
/// there no commit is in flight, so what arrived meanwhile is read by sequence number (each
/// partition's entries commit in sequence order, so they are the month's entries past the last
/// one read), the totals are adjusted (a commit holds its count rows until it ends) and the table
/// dropped; the lock waits at most <see cref="LockTimeout"/>, else the month waits for the next run.
/// </para>
/// </remarks>
public sealed partial class PartitionMaintenance(
    NpgsqlDataSource dataSource,
    CheckpointStore checkpoints,
    CheckpointKey key,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<PartitionMaintenance> logger,
    AuditStore? store = null)
{
    /// <summary>The longest a drop waits for a lock; the log's readers and writers queue behind it meanwhile.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(2);

    private const string CountColumns = "event_type, event_action, status, actor_type, target_type, resource_type, stripe";

    /// <summary>Matches a row of <c>audit_counts_total</c> (t) with one of the dropped counts (g); the NOT NULL columns first, so they can be hashed.</summary>
    private const string SameCounts =
        "t.status = g.status AND t.actor_type = g.actor_type AND t.target_type = g.target_type AND t.stripe = g.stripe " +
        "AND t.event_type IS NOT DISTINCT FROM g.event_type AND t.event_action IS NOT DISTINCT FROM g.event_action " +
        "AND t.resource_type IS NOT DISTINCT FROM g.resource_type";

    /// <summary>
    /// Runs maintenance once. With <paramref name="wait"/>, waits for a run under way elsewhere to
    /// end first; without, leaves it to that run (<see cref="MaintenanceReport.Ran"/> false).
    /// </summary>
    public async Task<MaintenanceReport> RunAsync(bool wait, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var lockKey = $"{AdvisoryLocks.Space}, {AdvisoryLocks.Maintenance}";
        if (wait)
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_lock({lockKey})", cancellationToken);
        }
        else
        {
            await using var attempt = new NpgsqlCommand($"SELECT pg_try_advisory_lock({lockKey})", connection);
            if (!(bool)(await attempt.ExecuteScalarAsync(cancellationToken))!)
            {
                return MaintenanceReport.Skipped;
            }
        }

        try
        {
            return await RunLockedAsync(connection, cancellationToken);
        }
        finally
        {
            // A pooled connection is not closed, so the session's lock is given back by hand (unless the connection broke, which gave it back).
            try
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({lockKey})", CancellationToken.None);
            }
            catch (Exception e) when (StorageFailures.IsUnavailable(e))
            {
            }
        }
    }

    private async Task<MaintenanceReport> RunLockedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = Microseconds(time.GetUtcNow());
        var before = await TablesAsync(connection, cancellationToken);
        await using (var ensure = new NpgsqlCommand("SELECT argus_ensure_months($1, $2)", connection))
        {
            ensure.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            ensure.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.AddMonths(settings.MonthsAhead).UtcDateTime });
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        var after = await TablesAsync(connection, cancellationToken);
        var created = after.Select(t => t.Name).Except(before.Select(t => t.Name)).Order(StringComparer.Ordinal).ToList();
        foreach (var month in created)
        {
            LogCreated(month);
        }

        if (settings.Days is not { } days)
        {
            return new MaintenanceReport(true, created, [], [], null);
        }

        var cutoff = now.AddDays(-days);
        var expired = after.Where(t => t.EndsBy(cutoff)).OrderBy(t => t.End).ToList();
        if (expired.Count == 0)
        {
            return new MaintenanceReport(true, created, [], [], null);
        }

        if (key.Key is not { } signer)
        {
            // A drop nobody vouches for would leave gaps in the chains that verification must report.
            LogNoKey(expired.Count, string.Join(", ", expired.Select(t => t.Name)));
            return new MaintenanceReport(true, created, [], [.. expired.Select(t => t.Name)], CheckpointKey.NotConfigured + "; months past retention are kept");
        }

        var dropped = new List<DroppedMonth>();
        string? problem = null;
        try
        {
            foreach (var table in expired)
            {
                dropped.Add(await DropAsync(connection, table, now, signer, cancellationToken));
                LogDropped(table.Name, dropped[^1].Entries, dropped[^1].CheckpointId);
            }
        }
        catch (Exception e) when (e is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected }
                                   || StorageFailures.IsUnavailable(e))
        {
            problem = $"dropping {expired[dropped.Count].Name} failed, it and later months wait for the next run: {e.Message}";
            LogDropFailed(expired[dropped.Count].Name, e.Message);
        }
        finally
        {
            if (dropped.Count > 0)
            {
                // This silo's writer makes a dropped month again if an entry of it comes; other silos find out on their next commit there.
                store?.Months.Forget();
            }
        }

        return new MaintenanceReport(true, created, dropped, [.. expired.Skip(dropped.Count).Select(t => t.Name)], problem, Interrupted: problem is not null);
    }

    private async Task<DroppedMonth> DropAsync(NpgsqlConnection connection, MonthTable table, DateTimeOffset now, SigningKey signer, CancellationToken cancellationToken)
    {
        var name = table.Name;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SET LOCAL lock_timeout = '{(int)LockTimeout.TotalMilliseconds}ms'", cancellationToken);

        // Without blocking anyone: the month's runs as of now, and most of what goes with them.
        var runs = await ReadRunsAsync(connection, name, cancellationToken);
        await ExecuteAsync(connection, $"DELETE FROM audit_ids WHERE id IN (SELECT id FROM {name})", cancellationToken);
        await ExecuteAsync(connection, $"CREATE TEMP TABLE argus_dropped_counts ON COMMIT DROP AS SELECT {CountColumns}, entries FROM audit_counts_hourly WITH NO DATA", cancellationToken);
        await DeleteHourlyCountsAsync(connection, table, cancellationToken);

        // From here no commit is in flight: take what arrived meanwhile, then adjust and drop.
        await ExecuteAsync(connection, $"LOCK TABLE ONLY audit_logs IN ACCESS EXCLUSIVE MODE", cancellationToken);
        var late = await ReadLateAsync(connection, name, runs, cancellationToken);
        runs = Merge([.. runs, .. late.Runs]);
        if (late.Ids.Count > 0)
        {
            await using var ids = new NpgsqlCommand("DELETE FROM audit_ids WHERE id = ANY($1)", connection);
            ids.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. late.Ids] });
            await ids.ExecuteNonQueryAsync(cancellationToken);
        }

        await DeleteHourlyCountsAsync(connection, table, cancellationToken);
        await ExecuteAsync(connection, $"""
            WITH gone AS (
                SELECT {CountColumns}, sum(entries) AS entries FROM argus_dropped_counts GROUP BY {CountColumns}),
            reduced AS (
                UPDATE audit_counts_total t SET entries = t.entries - g.entries
                  FROM gone g
                 WHERE {SameCounts} AND t.entries > g.entries
                RETURNING 1)
            DELETE FROM audit_counts_total t USING gone g WHERE {SameCounts} AND t.entries <= g.entries
            """, cancellationToken);

        var removed = runs.GroupBy(r => r.Partition).Select(g => (Partition: g.Key, Entries: g.Sum(r => r.LastSeq - r.FirstSeq + 1))).ToList();
        await using (var count = new NpgsqlCommand("""
            INSERT INTO argus_removed AS r (partition_id, entries) SELECT * FROM unnest($1::integer[], $2::bigint[])
            ON CONFLICT (partition_id) DO UPDATE SET entries = r.entries + excluded.entries
            """, connection))
        {
            count.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. removed.Select(r => r.Partition)] });
            count.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. removed.Select(r => r.Entries)] });
            await count.ExecuteNonQueryAsync(cancellationToken);
        }

        // An empty month removes nothing: there is nothing to vouch for.
        var checkpoint = runs.Count == 0 ? null : await checkpoints.AddAsync(
            Checkpoint.RetentionKind, Checkpoint.RetentionBody(now, name, runs), signer, cancellationToken, connection, now);
        await ExecuteAsync(connection, $"DROP TABLE {name}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new DroppedMonth(name, removed.Sum(r => r.Entries), checkpoint?.Id, runs);
    }

    /// <summary>The month's entries as runs of consecutive sequence numbers per partition, each with its last entry's hash.</summary>
    private static async Task<List<RemovedRun>> ReadRunsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            WITH runs AS (
                SELECT partition_id, min(seq) AS first_seq, max(seq) AS last_seq
                  FROM (SELECT partition_id, seq, seq - row_number() OVER (PARTITION BY partition_id ORDER BY seq) AS island FROM {table}) numbered
                 GROUP BY partition_id, island)
            SELECT r.partition_id, r.first_seq, r.last_seq, m.hash
              FROM runs r JOIN {table} m ON m.partition_id = r.partition_id AND m.seq = r.last_seq
             ORDER BY r.partition_id, r.first_seq
            """, connection) { CommandTimeout = 0 };
        var runs = new List<RemovedRun>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new RemovedRun(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2), Hash(reader, 3)));
        }

        return runs;
    }

    /// <summary>The month's entries past the last of each partition in <paramref name="read"/> (all of a partition it lacks): those committed since.</summary>
    private static async Task<(List<RemovedRun> Runs, List<Guid> Ids)> ReadLateAsync(
        NpgsqlConnection connection, string table, List<RemovedRun> read, CancellationToken cancellationToken)
    {
        var last = read.GroupBy(r => r.Partition).Select(g => (Partition: g.Key, Seq: g.Max(r => r.LastSeq))).ToList();
        await using var command = new NpgsqlCommand($"""
            SELECT m.partition_id, m.seq, m.hash, m.id
              FROM argus_partitions p
              LEFT JOIN unnest($1::integer[], $2::bigint[]) AS k(partition_id, seq) ON k.partition_id = p.partition_id
             CROSS JOIN LATERAL (SELECT partition_id, seq, hash, id FROM {table}
                                  WHERE partition_id = p.partition_id AND seq > coalesce(k.seq, 0)) m
             ORDER BY m.partition_id, m.seq
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. last.Select(l => l.Partition)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. last.Select(l => l.Seq)] });
        var runs = new List<RemovedRun>();
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var seq = reader.GetInt64(1);
            runs.Add(new RemovedRun(reader.GetInt32(0), seq, seq, Hash(reader, 2)));
            ids.Add(reader.GetGuid(3));
        }

        return (runs, ids);
    }

    /// <summary>Moves the month's hourly counts into <c>argus_dropped_counts</c>, to be subtracted from the totals.</summary>
    private static async Task DeleteHourlyCountsAsync(NpgsqlConnection connection, MonthTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            WITH gone AS (
                DELETE FROM audit_counts_hourly WHERE hour >= $1::timestamptz AND hour < $2::timestamptz
                RETURNING {CountColumns}, entries)
            INSERT INTO argus_dropped_counts SELECT * FROM gone
            """, connection) { CommandTimeout = 0 };
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.LowerBound });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.UpperBound });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs of one partition that continue each other made one (the later run's hash is the last entry's).</summary>
    internal static List<RemovedRun> Merge(IEnumerable<RemovedRun> runs)
    {
        var merged = new List<RemovedRun>();
        foreach (var run in runs.OrderBy(r => r.Partition).ThenBy(r => r.FirstSeq))
        {
            if (merged.Count > 0 && merged[^1] is var previous && previous.Partition == run.Partition && previous.LastSeq + 1 == run.FirstSeq)
            {
                merged[^1] = previous with { LastSeq = run.LastSeq, LastHash = run.LastHash };
            }
            else
            {
                merged.Add(run);
            }
        }

        return merged;
    }

    /// <summary>The tables of <c>audit_logs</c> maintenance knows (months and <c>audit_logs_before</c>).</summary>
    private static async Task<List<MonthTable>> TablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_logs'::regclass", connection);
        var tables = new List<MonthTable>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (MonthTable.Of(reader.GetString(0)) is { } table)
            {
                tables.Add(table);
            }
        }

        return tables;
    }

    /// <summary>An entry's hash; an entry stored without one (not by Argus: verification reports it) is vouched for with none.</summary>
    private static byte[] Hash(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? [] : reader.GetFieldValue<byte[]>(column);

    private static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Maintenance made month {Table}")]
    private partial void LogCreated(string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention dropped {Table}: {Entries} entries, vouched for by retention checkpoint {CheckpointId} (none for an empty month)")]
    private partial void LogDropped(string table, long entries, long? checkpointId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention keeps {Count} months past retention ({Tables}): " + CheckpointKey.NotConfigured
        + ", and a month dropped without a signed retention checkpoint would break the hash chains' verification")]
    private partial void LogNoKey(int count, string tables);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not drop {Table} now (it is tried again on the next run): {Reason}")]
    private partial void LogDropFailed(string table, string reason);
}
