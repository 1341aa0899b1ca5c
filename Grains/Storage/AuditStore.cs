using System.Net;
using System.Security.Cryptography;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Integrity;
using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions.Querying;
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

    /// <summary>The constraint a second entry with a stored id fails on (ids are unique across the log's months here).</summary>
    public const string PrimaryKeyConstraint = "audit_ids_pkey";

    private const string FindSql =
        $"SELECT a.* FROM audit_ids i CROSS JOIN LATERAL (SELECT {AuditQuerySql.EntryColumns} FROM audit_logs " +
        "WHERE occurred_at = i.occurred_at AND id = i.id) a WHERE i.id = ANY($1)";

    private const string FindInTenantSql =
        $"SELECT a.* FROM audit_ids i CROSS JOIN LATERAL (SELECT {AuditQuerySql.EntryColumns} FROM audit_logs " +
        "WHERE occurred_at = i.occurred_at AND id = i.id AND tenant_id = $2) a WHERE i.id = ANY($1)";

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>The months of the log this store has seen; <see cref="CommitAsync"/> makes those a batch lacks.</summary>
    public MonthPartitions Months { get; } = new(dataSource);

    /// <summary>
    /// Inserts <paramref name="batch"/> and moves each of its partitions' fences in one statement
    /// (<c>argus_append</c>): atomic and one round trip. Throws <see cref="PostgresException"/> with
    /// <see cref="FenceFailedState"/> when a fence does not hold, or a unique violation when an id
    /// is already stored; in both cases nothing of the batch is stored.
    /// </summary>
    public async Task CommitAsync(CommitBatch batch, CancellationToken cancellationToken)
    {
        await Months.EnsureAsync(batch.OccurredAt, cancellationToken);
        await using var command = dataSource.CreateCommand(
            "SELECT argus_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, " +
            "$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46)");
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
        p.Add(TextArray(batch.ResourceTypes));
        p.Add(TextArray(batch.PartnerIds));
        p.Add(TextArray(batch.ActorEmails));
        p.Add(TextArray(batch.Roles));
        p.Add(TextArray(batch.Namespaces));
        p.Add(TextArray(batch.EventGroups));
        p.Add(TextArray(batch.SessionIds));
        p.Add(TextArray(batch.CorrelationIds));
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = batch.UserIds.ToArray() });
        p.Add(TextArray(batch.VmIds));
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = batch.TaskIds.ToArray() });
        p.Add(TextArray(batch.NodeIps));
        p.Add(TextArray(batch.WorkerIds));
        p.Add(TextArray(batch.ErrorMessages));
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = batch.CreatedAt.UtcDateTime });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = batch.Partitions.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.Seqs.ToArray() });
        p.Add(new NpgsqlParameter<byte[][]> { TypedValue = batch.PrevHashes.ToArray() });
        p.Add(new NpgsqlParameter<byte[][]> { TypedValue = batch.Hashes.ToArray() });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = batch.FencePartitions.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.FenceEpochs.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.FenceExpected.ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = batch.FenceLast.ToArray() });
        p.Add(new NpgsqlParameter<byte[][]> { TypedValue = batch.FenceHeads.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The stored entries among <paramref name="ids"/> (those inside <paramref name="scope"/>).</summary>
    public async Task<Dictionary<Guid, AuditEntry>> FindAsync(IReadOnlyCollection<Guid> ids, AccessScope scope, CancellationToken cancellationToken)
    {
        // audit_ids says which month holds each id; the entry is then read there on the time index.
        await using var command = dataSource.CreateCommand(scope.Tenant is null ? FindSql : FindInTenantSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids.ToArray() });
        if (scope.Tenant is { } tenant)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        }

        var found = new Dictionary<Guid, AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entry = ReadEntry(reader);
            found[entry.Id] = entry;
        }

        return found;
    }

    /// <summary>The fencing rows of <paramref name="partitions"/>: partition -> (epoch, last_seq, head_hash).</summary>
    public async Task<Dictionary<int, (long Epoch, long LastSeq, byte[] HeadHash)>> ReadFencesAsync(IReadOnlyCollection<int> partitions, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT partition_id, epoch, last_seq, head_hash FROM argus_partitions WHERE partition_id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions.ToArray() });
        var fences = new Dictionary<int, (long, long, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fences[reader.GetInt32(0)] = (reader.GetInt64(1), reader.GetInt64(2), HeadHash(reader, 3));
        }

        return fences;
    }

    /// <summary>A partition's head hash; a partition with no entry yet chains from the genesis hash.</summary>
    private static byte[] HeadHash(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? EntryHash.Genesis.ToArray() : reader.GetFieldValue<byte[]>(ordinal);

    /// <summary>
    /// Takes partition <paramref name="partition"/> over for a new activation of its owner: bumps its
    /// epoch, which fences out every earlier owner's commits, and records <paramref name="owner"/>
    /// (the activation's silo) for health and operators. Returns the lease to write under.
    /// </summary>
    public async Task<Partitions.PartitionLease> TakeOwnershipAsync(int partition, string owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE argus_partitions SET epoch = epoch + 1, owner = $2, owned_since = now() WHERE partition_id = $1 RETURNING epoch, last_seq, head_hash");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"Partition {partition} does not exist.");
        }

        return new Partitions.PartitionLease(partition, reader.GetInt64(0), reader.GetInt64(1), HeadHash(reader, 2));
    }

    /// <summary>Partition -> the silo of its current owner's activation (null while none holds it).</summary>
    public async Task<Dictionary<int, string?>> ReadOwnersAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT partition_id, owner FROM argus_partitions");
        var owners = new Dictionary<int, string?>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            owners[reader.GetInt32(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }

        return owners;
    }

    /// <summary>Clears the partition's owner when it is still the one of <paramref name="epoch"/> (a deactivating owner).</summary>
    public async Task ReleaseOwnershipAsync(int partition, long epoch, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE argus_partitions SET owner = NULL, owned_since = NULL WHERE partition_id = $1 AND epoch = $2");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = epoch });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The matches of <paramref name="read"/> (entries or keys) and, when asked, the number of all
    /// matches, in one round trip.
    /// </summary>
    internal async Task<PartitionRows> ReadAsync(PageRead read, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(AuditQuerySql.Page(read).ToBatchCommand());
        if (read.Count)
        {
            batch.BatchCommands.Add(AuditQuerySql.Count(read.Filters, read.Partitions).ToBatchCommand());
        }

        var logs = new List<AuditEntry>();
        var keys = new List<OrderKey>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (read.KeysOnly)
            {
                keys.Add(OrderKey.Of(reader.GetFieldValue<DateTime>(0), reader.GetGuid(1)));
            }
            else
            {
                logs.Add(ReadEntry(reader));
            }
        }

        long? count = null;
        if (read.Count)
        {
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            count = reader.GetInt64(0);
        }

        return new PartitionRows(logs, keys, count);
    }

    /// <summary>The number of entries matching <paramref name="filters"/> in every partition.</summary>
    internal async Task<long> CountAsync(AuditQuery filters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = AuditQuerySql.Count(filters).ToCommand(connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The entries of <paramref name="keys"/>, in the same order (they are stored: the keys were just read).</summary>
    internal async Task<List<AuditEntry>> ReadEntriesAsync(IReadOnlyList<OrderKey> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var found = await FindAsync(keys.Select(k => k.Id).ToArray(), AccessScope.Unrestricted, cancellationToken);
        return keys.Select(k => found.TryGetValue(k.Id, out var entry) ? entry : throw new InvalidDataException($"entry {k.Id} vanished")).ToList();
    }

    /// <summary>
    /// The cluster's key for signing cursors: the first silo to start stores 32 random bytes, every
    /// silo reads what is stored. Safe when silos start together: only an update that still finds
    /// no key sets one, and the read after it sees whichever update won.
    /// </summary>
    public async Task<byte[]> EnsureCursorKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var set = new NpgsqlCommand("UPDATE argus_cluster SET cursor_key = $1 WHERE cursor_key IS NULL", connection))
        {
            set.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = RandomNumberGenerator.GetBytes(PageCursors.KeyLength) });
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var read = new NpgsqlCommand("SELECT cursor_key FROM argus_cluster", connection);
        return (byte[])(await read.ExecuteScalarAsync(cancellationToken))!;
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
        ResourceType = reader.IsDBNull(23) ? null : reader.GetString(23),
        PartnerId = reader.IsDBNull(24) ? null : reader.GetString(24),
        ActorEmail = reader.IsDBNull(25) ? null : reader.GetString(25),
        Role = reader.IsDBNull(26) ? null : reader.GetString(26),
        Namespace = reader.IsDBNull(27) ? null : reader.GetString(27),
        EventGroup = reader.IsDBNull(28) ? null : reader.GetString(28),
        SessionId = reader.IsDBNull(29) ? null : reader.GetString(29),
        CorrelationId = reader.IsDBNull(30) ? null : reader.GetString(30),
        UserId = reader.IsDBNull(31) ? null : reader.GetInt64(31),
        VmId = reader.IsDBNull(32) ? null : reader.GetString(32),
        TaskId = reader.IsDBNull(33) ? null : reader.GetInt64(33),
        NodeIp = reader.IsDBNull(34) ? null : reader.GetFieldValue<IPAddress>(34).ToString(),
        WorkerId = reader.IsDBNull(35) ? null : reader.GetString(35),
        ErrorMessage = reader.IsDBNull(36) ? null : reader.GetString(36),
    };

    private static int Ordinal(string[] names, string wire) =>
        WireNames.Ordinal(names, wire) ?? throw new InvalidDataException($"Stored value '{wire}' is not {WireNames.OneOf(names)}.");

    private static NpgsqlParameter TextArray(List<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter JsonbArray(List<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };
}
