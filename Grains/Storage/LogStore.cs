using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Streaming;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// The committed log as its consumers read it: each partition's entries by sequence number (the
/// unique index <c>audit_logs_partition_seq</c>), the partitions' heads (their fences'
/// <c>last_seq</c>, moved in the statement that inserts the rows, so a head never runs ahead of
/// what can be read), and the consumer groups' checkpoints.
/// </summary>
public sealed class LogStore(NpgsqlDataSource dataSource)
{
    private const string SliceSql =
        $"SELECT {AuditQuerySql.EntryColumns}, seq FROM audit_logs WHERE partition_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4";

    private const string TenantSliceSql =
        $"SELECT {AuditQuerySql.EntryColumns}, seq FROM audit_logs WHERE partition_id = $1 AND seq > $2 AND seq <= $3 AND tenant_id = $5 ORDER BY seq LIMIT $4";

    /// <summary>
    /// Up to <paramref name="limit"/> entries of <paramref name="partition"/> after sequence number
    /// <paramref name="after"/> and at most <paramref name="upTo"/>, oldest first; with a
    /// <paramref name="tenant"/>, that tenant's only. The slice's <see cref="LogSlice.Through"/>
    /// says how far the read got: to <paramref name="upTo"/> when it stopped short of the limit and
    /// <paramref name="upTo"/> is a known head, else to the last entry read.
    /// </summary>
    public async Task<LogSlice> ReadAsync(int partition, long after, long upTo, int limit, string? tenant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(tenant is null ? SliceSql : TenantSliceSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        if (tenant is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        }

        var seqs = new List<long>();
        var entries = new List<AuditEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            var seqColumn = reader.FieldCount - 1;
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(AuditStore.ReadEntry(reader));
                seqs.Add(reader.GetInt64(seqColumn));
            }
        }

        var through = entries.Count == limit || upTo == long.MaxValue
            ? (seqs.Count > 0 ? seqs[^1] : after)
            : upTo;
        return new LogSlice(partition, [.. seqs], [.. entries], through);
    }

    /// <summary>Every partition's head: the sequence number of its last committed entry (0 when none), indexed by partition.</summary>
    public async Task<long[]> ReadHeadsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT partition_id, last_seq FROM argus_partitions ORDER BY partition_id");
        var heads = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var partition = reader.GetInt32(0);
            while (heads.Count < partition)
            {
                heads.Add(0);
            }

            heads.Add(reader.GetInt64(1));
        }

        return [.. heads];
    }

    /// <summary>The consumer group's checkpoint in the partition; without one, it is created at the partition's head (a new group starts at the present).</summary>
    public async Task<long> LoadCheckpointAsync(string provider, int partition, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO argus_stream_checkpoints (provider, partition_id, seq)
            SELECT $1, partition_id, last_seq FROM argus_partitions WHERE partition_id = $2
            ON CONFLICT (provider, partition_id) DO UPDATE SET seq = argus_stream_checkpoints.seq
            RETURNING seq
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Moves the group's checkpoints in <paramref name="partitions"/> forward to <paramref name="seqs"/>
    /// (never back), in one statement. Committed without waiting for the WAL's flush: a checkpoint a
    /// crash loses is an older one, from which delivery starts again, and a receiver writes one a
    /// second, so flushing each would put a disk sync per partition per second beside the log's.
    /// </summary>
    public async Task SaveCheckpointsAsync(string provider, int[] partitions, long[] seqs, CancellationToken cancellationToken)
    {
        var update = new NpgsqlBatchCommand("""
            UPDATE argus_stream_checkpoints c SET seq = u.seq, updated_at = now()
              FROM unnest($2::integer[], $3::bigint[]) AS u(partition_id, seq)
             WHERE c.provider = $1 AND c.partition_id = u.partition_id AND c.seq < u.seq
            """);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        update.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions });
        update.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        await UnflushedCommit.ExecuteAsync(dataSource, update, cancellationToken);
    }

    /// <summary>Moves the checkpoint forward to <paramref name="seq"/> (never back), durably.</summary>
    public async Task SaveCheckpointAsync(string provider, int partition, long seq, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE argus_stream_checkpoints SET seq = $3, updated_at = now() WHERE provider = $1 AND partition_id = $2 AND seq < $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
