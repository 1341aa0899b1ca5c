using System.Net;
using System.Text;
using Argus.Grains.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Argus.Grains.Storage;

/// <summary>
/// Every statement Argus runs against the audit log. Writes go through <see cref="CommitAsync"/>
/// only: one round trip that fences each partition and inserts the whole batch atomically.
/// </summary>
public sealed class AuditStore(NpgsqlDataSource dataSource)
{
    /// <summary>SQLSTATE raised by <c>argus_fence</c> when a partition is no longer at the writer's epoch and position.</summary>
    public const string FenceFailedState = "ARF01";

    public const string PrimaryKeyConstraint = "audit_logs_pkey";

    public const string PartitionSeqConstraint = "audit_logs_partition_seq";

    private const string Columns =
        "id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, target_id, " +
        "request_metadata, response_metadata, additional_metadata, created_at, " +
        "source, tenant_id, request_id, ip_address, user_agent, http_method, http_path, http_status, latency_ms";

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>
    /// Inserts <paramref name="batch"/> and moves each of its partitions' fences in one statement
    /// (<c>argus_append</c>): atomic and one round trip. Throws <see cref="PostgresException"/> with
    /// <see cref="FenceFailedState"/> when a fence does not hold, or a unique violation when an id
    /// is already stored; in both cases nothing of the batch is stored.
    /// </summary>
    public async Task CommitAsync(CommitBatch batch, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT argus_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, " +
            "$21, $22, $23, $24, $25, $26, $27, $28, $29)");
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = batch.Ids.ToArray() });
        p.Add(new NpgsqlParameter<Guid?[]> { TypedValue = batch.TraceIds.ToArray() });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = batch.OccurredAt.ToArray() });
        p.Add(TextArray(batch.EventTypes));
        p.Add(TextArray(batch.EventActions));
        p.Add(TextArray(batch.Statuses));
        p.Add(TextArray(batch.ActorTypes));
        p.Add(TextArray(batch.ActorIds));
        p.Add(TextArray(batch.TargetTypes));
        p.Add(TextArray(batch.TargetIds));
        p.Add(JsonbArray(batch.RequestMetadata));
        p.Add(JsonbArray(batch.ResponseMetadata));
        p.Add(JsonbArray(batch.AdditionalMetadata));
        p.Add(TextArray(batch.Sources));
        p.Add(TextArray(batch.TenantIds));
        p.Add(TextArray(batch.RequestIds));
        p.Add(TextArray(batch.IpAddresses));
        p.Add(TextArray(batch.UserAgents));
        p.Add(TextArray(batch.HttpMethods));
        p.Add(TextArray(batch.HttpPaths));
        p.Add(new NpgsqlParameter<short?[]> { TypedValue = batch.HttpStatuses.ToArray() });
        p.Add(new NpgsqlParameter<double?[]> { TypedValue = batch.LatenciesMs.ToArray() });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = batch.CreatedAt.UtcDateTime });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = batch.Partitions.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.Seqs.ToArray() });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = batch.FencePartitions.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.FenceEpochs.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.FenceExpected.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.FenceLast.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The stored entries among <paramref name="ids"/>.</summary>
    public async Task<Dictionary<Guid, AuditEntry>> FindAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM audit_logs WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids.ToArray() });
        var found = new Dictionary<Guid, AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entry = ReadEntry(reader);
            found[entry.Id] = entry;
        }

        return found;
    }

    /// <summary>The fencing rows of <paramref name="partitions"/>: partition -> (epoch, last_seq).</summary>
    public async Task<Dictionary<int, (long Epoch, long LastSeq)>> ReadFencesAsync(IReadOnlyCollection<int> partitions, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT partition_id, epoch, last_seq FROM argus_partitions WHERE partition_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions.ToArray() });
        var fences = new Dictionary<int, (long, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fences[reader.GetInt32(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return fences;
    }

    /// <summary>One page of <paramref name="query"/> and the exact number of matches, in one round trip.</summary>
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var where = new StringBuilder();
        var parameters = new List<NpgsqlParameter>();
        AddFilter(where, parameters, "trace_id", query.TraceId);
        AddFilter(where, parameters, "event_type", query.EventType);
        AddFilter(where, parameters, "event_action", query.EventAction?.ToWire());
        AddFilter(where, parameters, "status", query.Status?.ToWire());
        AddFilter(where, parameters, "actor_type", query.ActorType?.ToWire());
        AddFilter(where, parameters, "actor_id", query.ActorId);
        AddFilter(where, parameters, "target_type", query.TargetType?.ToWire());
        AddFilter(where, parameters, "target_id", query.TargetId);
        AddFilter(where, parameters, "source", query.Source);
        AddFilter(where, parameters, "tenant_id", query.TenantId);
        AddFilter(where, parameters, "request_id", query.RequestId);
        AddFilter(where, parameters, "ip_address", query.IpAddress is null ? null : IPAddress.Parse(query.IpAddress));
        AddFilter(where, parameters, "http_method", query.HttpMethod);
        AddFilter(where, parameters, "http_path", query.HttpPath);
        AddFilter(where, parameters, "http_status", (short?)query.HttpStatus);
        AddRange(where, parameters, ">=", query.Since);
        AddRange(where, parameters, "<", query.Until);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var page = new NpgsqlBatchCommand(
            $"SELECT {Columns} FROM audit_logs{where} ORDER BY occurred_at DESC, id DESC " +
            $"LIMIT ${parameters.Count + 1} OFFSET ${parameters.Count + 2}");
        page.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        page.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Limit });
        page.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Offset });
        var count = new NpgsqlBatchCommand($"SELECT count(*) FROM audit_logs{where}");
        count.Parameters.AddRange(parameters.ToArray());
        batch.BatchCommands.Add(page);
        batch.BatchCommands.Add(count);

        var logs = new List<AuditEntry>(Math.Min(query.Limit, 256));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            logs.Add(ReadEntry(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        return new AuditPage(logs, total, query.Limit, query.Offset);
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>
    /// Records the cluster's partition count the first time any silo starts, creates the
    /// partitions' fencing rows, and returns the count in force (fixed once created).
    /// </summary>
    public async Task<int> EnsureClusterAsync(int partitionCount, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO argus_cluster (partition_count) VALUES ($1) ON CONFLICT (singleton) DO NOTHING", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partitionCount });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        int actual;
        await using (var select = new NpgsqlCommand("SELECT partition_count FROM argus_cluster", connection, transaction))
        {
            actual = (int)(await select.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var rows = new NpgsqlCommand(
            "INSERT INTO argus_partitions (partition_id) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING", connection, transaction))
        {
            rows.Parameters.Add(new NpgsqlParameter<int> { TypedValue = actual });
            await rows.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return actual;
    }

    /// <summary>The columns <see cref="ReadEntry"/> reads, in its order: every statement that returns entries selects these.</summary>
    internal const string EntryColumns = Columns;

    internal static AuditEntry ReadEntry(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        TraceId = reader.IsDBNull(1) ? null : reader.GetGuid(1),
        Timestamp = new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
        EventType = reader.IsDBNull(3) ? null : reader.GetString(3),
        EventAction = reader.IsDBNull(4) ? null : (EventAction)Ordinal(WireNames.EventActions, reader.GetString(4)),
        Status = (AuditStatus)Ordinal(WireNames.Statuses, reader.GetString(5)),
        ActorType = (ActorType)Ordinal(WireNames.ActorTypes, reader.GetString(6)),
        ActorId = reader.GetString(7),
        TargetType = (TargetType)Ordinal(WireNames.TargetTypes, reader.GetString(8)),
        TargetId = reader.IsDBNull(9) ? null : reader.GetString(9),
        RequestMetadata = reader.IsDBNull(10) ? null : reader.GetString(10),
        ResponseMetadata = reader.IsDBNull(11) ? null : reader.GetString(11),
        AdditionalMetadata = reader.IsDBNull(12) ? null : reader.GetString(12),
        CreatedAt = new DateTimeOffset(reader.GetFieldValue<DateTime>(13), TimeSpan.Zero),
        Source = reader.IsDBNull(14) ? null : reader.GetString(14),
        TenantId = reader.IsDBNull(15) ? null : reader.GetString(15),
        RequestId = reader.IsDBNull(16) ? null : reader.GetString(16),

        // Formatted as the API canonicalised it on the way in, so a stored entry compares equal to its replay.
        IpAddress = reader.IsDBNull(17) ? null : reader.GetFieldValue<IPAddress>(17).ToString(),
        UserAgent = reader.IsDBNull(18) ? null : reader.GetString(18),
        HttpMethod = reader.IsDBNull(19) ? null : reader.GetString(19),
        HttpPath = reader.IsDBNull(20) ? null : reader.GetString(20),
        HttpStatus = reader.IsDBNull(21) ? null : reader.GetInt16(21),
        LatencyMs = reader.IsDBNull(22) ? null : reader.GetDouble(22),
    };

    private static int Ordinal(string[] names, string wire) =>
        WireNames.Ordinal(names, wire) ?? throw new InvalidDataException($"Stored value '{wire}' is not {WireNames.OneOf(names)}.");

    private static void AddFilter<T>(StringBuilder where, List<NpgsqlParameter> parameters, string column, T? value)
    {
        if (value is null)
        {
            return;
        }

        parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
        where.Append(where.Length == 0 ? " WHERE " : " AND ").Append(column).Append(" = $").Append(parameters.Count);
    }

    private static void AddRange(StringBuilder where, List<NpgsqlParameter> parameters, string op, DateTimeOffset? bound)
    {
        if (bound is not { } value)
        {
            return;
        }

        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = value.UtcDateTime });
        where.Append(where.Length == 0 ? " WHERE " : " AND ").Append("occurred_at ").Append(op).Append(" $").Append(parameters.Count);
    }

    private static NpgsqlParameter TextArray(List<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter JsonbArray(List<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };
}
