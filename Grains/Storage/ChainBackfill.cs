using Argus.Grains.Abstractions.Integrity;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// The code step of schema version 14: copies the entries stored before it (in the unpartitioned
/// <c>audit_logs_v13</c>) into the partitioned log with their hash chains, partition by partition in
/// sequence order, and records each partition's head hash. Rows are only inserted, never updated.
/// </summary>
internal static class ChainBackfill
{
    private const int Chunk = 5000;

    private const string ReadSql =
        $"SELECT {AuditQuerySql.EntryColumns}, partition_id, seq FROM audit_logs_v13 " +
        "WHERE (partition_id, seq) > ($1, $2) ORDER BY partition_id, seq LIMIT $3";

    private const string Columns =
        "id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, target_id, " +
        "request_metadata, response_metadata, additional_metadata, source, tenant_id, request_id, ip_address, user_agent, " +
        "http_method, http_path, http_status, latency_ms, resource_type, partner_id, actor_email, role, namespace, event_group, " +
        "session_id, correlation_id, user_id, vm_id, task_id, node_ip, worker_id, error_message, created_at, partition_id, seq";

    private const string CopySql =
        $"INSERT INTO audit_logs ({Columns}, prev_hash, hash) " +
        $"SELECT {Columns}, h.prev_hash, h.hash FROM audit_logs_v13 v " +
        "JOIN unnest($1::integer[], $2::bigint[], $3::bytea[], $4::bytea[]) AS h(p, s, prev_hash, hash) " +
        "ON v.partition_id = h.p AND v.seq = h.s";

    public static async Task CopyWithChainsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var hasher = new EntryHash();
        var heads = new Dictionary<int, byte[]>();
        var (afterPartition, afterSeq) = (int.MinValue, long.MinValue);
        while (true)
        {
            var (partitions, seqs, prevs, hashes) = (new List<int>(), new List<long>(), new List<byte[]>(), new List<byte[]>());
            await using (var read = new NpgsqlCommand(ReadSql, connection) { CommandTimeout = 0 })
            {
                read.Parameters.Add(new NpgsqlParameter<int> { TypedValue = afterPartition });
                read.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSeq });
                read.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Chunk });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var entry = AuditStore.ReadEntry(reader);
                    var partition = reader.GetInt32(37);
                    var seq = reader.GetInt64(38);
                    var previous = heads.TryGetValue(partition, out var head) ? head : EntryHash.Genesis.ToArray();
                    var hash = hasher.Compute(entry, entry.CreatedAt, partition, seq, previous);
                    heads[partition] = hash;
                    (afterPartition, afterSeq) = (partition, seq);
                    partitions.Add(partition);
                    seqs.Add(seq);
                    prevs.Add(previous);
                    hashes.Add(hash);
                }
            }

            if (partitions.Count == 0)
            {
                break;
            }

            await using var copy = new NpgsqlCommand(CopySql, connection) { CommandTimeout = 0 };
            copy.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions.ToArray() });
            copy.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs.ToArray() });
            copy.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = prevs.ToArray() });
            copy.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = hashes.ToArray() });
            await copy.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var set = new NpgsqlCommand(
            "UPDATE argus_partitions p SET head_hash = h.hash FROM unnest($1::integer[], $2::bytea[]) AS h(p, hash) WHERE p.partition_id = h.p",
            connection);
        set.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = heads.Keys.ToArray() });
        set.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = heads.Values.ToArray() });
        await set.ExecuteNonQueryAsync(cancellationToken);
    }
}
