using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Grains.Integrity;

/// <summary>Signed checkpoints in <c>argus_checkpoints</c> (append-only) and the heads they are made from.</summary>
public sealed class CheckpointStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, kind, created_at, body, key_id, signature";

    private const string HeadsSql =
        "SELECT partition_id, last_seq, head_hash FROM argus_partitions WHERE last_seq > 0 AND head_hash IS NOT NULL ORDER BY partition_id";

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Every partition's head now: (partition, last_seq, head_hash), partitions with no entry yet left out.</summary>
    public async Task<List<ChainPosition>> ReadHeadsAsync(CancellationToken cancellationToken, NpgsqlConnection? connection = null)
    {
        await using var command = connection is null ? dataSource.CreateCommand(HeadsSql) : new NpgsqlCommand(HeadsSql, connection);
        var heads = new List<ChainPosition>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            heads.Add(new ChainPosition(reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
        }

        return heads;
    }

    /// <summary>
    /// Signs <paramref name="body"/> with <paramref name="key"/> and stores it; returns the stored
    /// checkpoint. <paramref name="createdAt"/>, the time the body states, is stored as its
    /// <c>created_at</c> (the database's clock when not given).
    /// </summary>
    public async Task<Checkpoint> AddAsync(
        string kind, string body, SigningKey key, CancellationToken cancellationToken, NpgsqlConnection? connection = null, DateTimeOffset? createdAt = null)
    {
        var signature = key.Sign(System.Text.Encoding.UTF8.GetBytes(body));
        const string Sql = $"INSERT INTO argus_checkpoints (kind, body, key_id, signature, created_at) VALUES ($1, $2, $3, $4, coalesce($5, now())) RETURNING {Columns}";
        await using var command = connection is null ? dataSource.CreateCommand(Sql) : new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Id });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = signature });
        command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = createdAt?.UtcDateTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    /// <summary>Checkpoints of <paramref name="kind"/> (all kinds when null), newest first, before id <paramref name="before"/>.</summary>
    public async Task<List<Checkpoint>> ListAsync(string? kind, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM argus_checkpoints WHERE ($1::text IS NULL OR kind = $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = kind, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = before, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var checkpoints = new List<Checkpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(Read(reader));
        }

        return checkpoints;
    }

    /// <summary>
    /// Waits for, then holds until <paramref name="connection"/>'s transaction ends, the turn to
    /// decide on and add a heads checkpoint, so that silos deciding at once decide one after another.
    /// </summary>
    public static async Task TakeHeadsTurnAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AdvisoryLocks.Space}, {AdvisoryLocks.Checkpoints})", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The newest checkpoint of <paramref name="kind"/>, or null when there is none.</summary>
    public static async Task<Checkpoint?> NewestAsync(string kind, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM argus_checkpoints WHERE kind = $1 ORDER BY id DESC LIMIT 1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Every checkpoint, oldest first, read in the caller's transaction (a verification's snapshot).</summary>
    public static async Task<List<Checkpoint>> AllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM argus_checkpoints ORDER BY id", connection, transaction);
        var checkpoints = new List<Checkpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(Read(reader));
        }

        return checkpoints;
    }

    private static Checkpoint Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
        reader.GetString(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5));
}
