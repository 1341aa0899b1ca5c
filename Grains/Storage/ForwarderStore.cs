using Npgsql;
using NpgsqlTypes;

namespace Argus.Grains.Storage;

/// <summary>One batch a receiver refused: where it came from, why, and the entries as a JSON array.</summary>
public sealed record DeadLetter(long Id, string Forwarder, int Partition, long FirstSeq, long LastSeq, int EntryCount, int? Status, string Error, int Attempts, DateTimeOffset CreatedAt, string Entries);

/// <summary>A forwarder's progress summed over the partitions.</summary>
public sealed record ForwarderProgress(string Forwarder, long Lag, int PartitionsBehind, DateTimeOffset? LastDeliveredAt, long DeadLetters);

/// <summary>Forwarders' positions in the committed log and the batches set aside for them (<c>013_forwarders.sql</c>).</summary>
public sealed class ForwarderStore(NpgsqlDataSource dataSource)
{
    /// <summary>The forwarder's position in the partition; a new one starts at the partition's head, or at its beginning.</summary>
    public async Task<long> LoadPositionAsync(string forwarder, int partition, bool fromBeginning, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO argus_forwarder_positions (forwarder, partition_id, seq)
            SELECT $1, partition_id, CASE WHEN $3 THEN 0 ELSE last_seq END FROM argus_partitions WHERE partition_id = $2
            ON CONFLICT (forwarder, partition_id) DO UPDATE SET seq = argus_forwarder_positions.seq
            RETURNING seq
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = forwarder });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = fromBeginning });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Moves the position forward (never back); <paramref name="delivered"/> when a batch reached the
    /// receiver. Committed without waiting for the WAL's flush: a position a crash loses is an older
    /// one, from which the batches after it are sent again, which at-least-once delivery allows.
    /// </summary>
    public async Task SavePositionAsync(string forwarder, int partition, long seq, bool delivered, CancellationToken cancellationToken)
    {
        var update = new NpgsqlBatchCommand("""
            UPDATE argus_forwarder_positions SET seq = $3, delivered_at = CASE WHEN $4 THEN now() ELSE delivered_at END
             WHERE forwarder = $1 AND partition_id = $2 AND seq < $3
            """);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = forwarder });
        update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
        update.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = delivered });
        await UnflushedCommit.ExecuteAsync(dataSource, update, cancellationToken);
    }

    /// <summary>Sets a refused batch aside and moves the position past it, in one transaction.</summary>
    public async Task AddDeadLetterAsync(string forwarder, int partition, long firstSeq, long lastSeq, int count, string entriesJson, int? status, string error, int attempts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO argus_forwarder_dead_letters (forwarder, partition_id, first_seq, last_seq, entry_count, entries, status, error, attempts)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = forwarder });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstSeq });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lastSeq });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entriesJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter { Value = status is { } s ? s : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempts });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var move = new NpgsqlCommand(
            "UPDATE argus_forwarder_positions SET seq = $3 WHERE forwarder = $1 AND partition_id = $2 AND seq < $3", connection, transaction))
        {
            move.Parameters.Add(new NpgsqlParameter<string> { TypedValue = forwarder });
            move.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
            move.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lastSeq });
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The forwarder's batches not yet replayed, oldest first, after <paramref name="afterId"/>.</summary>
    public async Task<List<DeadLetter>> ListDeadLettersAsync(string forwarder, long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, forwarder, partition_id, first_seq, last_seq, entry_count, status, error, attempts, created_at, entries::text
              FROM argus_forwarder_dead_letters
             WHERE forwarder = $1 AND replayed_at IS NULL AND id > $2
             ORDER BY id LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = forwarder });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var letters = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            letters.Add(new DeadLetter(
                reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt32(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetString(7), reader.GetInt32(8),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(9), TimeSpan.Zero), reader.GetString(10)));
        }

        return letters;
    }

    public async Task MarkReplayedAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE argus_forwarder_dead_letters SET replayed_at = now() WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Each named forwarder's lag (entries committed after its positions), partitions behind, last delivery and pending dead letters.</summary>
    public async Task<Dictionary<string, ForwarderProgress>> ReadProgressAsync(IReadOnlyCollection<string> forwarders, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT f.name,
                   coalesce(sum(p.last_seq - coalesce(fp.seq, p.last_seq)), 0)::bigint,
                   count(*) FILTER (WHERE fp.seq < p.last_seq)::int,
                   max(fp.delivered_at),
                   (SELECT count(*) FROM argus_forwarder_dead_letters d WHERE d.forwarder = f.name AND d.replayed_at IS NULL)
              FROM unnest($1::text[]) AS f(name)
              CROSS JOIN argus_partitions p
              LEFT JOIN argus_forwarder_positions fp ON fp.forwarder = f.name AND fp.partition_id = p.partition_id
             GROUP BY f.name
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. forwarders] });
        var progress = new Dictionary<string, ForwarderProgress>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            progress[name] = new ForwarderProgress(name, reader.GetInt64(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(3), TimeSpan.Zero), reader.GetInt64(4));
        }

        return progress;
    }
}
