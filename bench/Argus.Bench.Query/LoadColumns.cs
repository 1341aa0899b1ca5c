using NpgsqlTypes;

namespace Argus.Bench.Query;

/// <summary>
/// The columns the loader fills, in COPY order: the one place to name a column. A new column of
/// <c>audit_logs</c> is one more line here (its value derived from the generated entry, e.g. from
/// <see cref="GeneratedEntry.Draw"/> or <see cref="GeneratedEntry.Failed"/>); the direct queries
/// select the same list less the storage-only columns.
/// </summary>
internal static class LoadColumns
{
    public static readonly LoadColumn[] All =
    [
        new("id", (w, e) => w.Write(e.Id, NpgsqlDbType.Uuid)),
        new("trace_id", (w, e) => w.Write(e.TraceId, NpgsqlDbType.Uuid)),
        new("occurred_at", (w, e) => w.Write(e.OccurredAt, NpgsqlDbType.TimestampTz)),
        new("event_type", (w, e) => w.WriteNullable(e.EventType, NpgsqlDbType.Text)),
        new("event_action", (w, e) => w.WriteNullable(e.EventAction, NpgsqlDbType.Text)),
        new("status", (w, e) => w.Write(e.Status, NpgsqlDbType.Text)),
        new("actor_type", (w, e) => w.Write(e.ActorType, NpgsqlDbType.Text)),
        new("actor_id", (w, e) => w.Write(e.ActorId, NpgsqlDbType.Text)),
        new("target_type", (w, e) => w.Write(e.TargetType, NpgsqlDbType.Text)),
        new("target_id", (w, e) => w.WriteNullable(e.TargetId, NpgsqlDbType.Text)),
        new("request_metadata", (w, e) => w.WriteNullable(e.RequestMetadata, NpgsqlDbType.Jsonb)),
        new("response_metadata", (w, e) => w.WriteNullable(e.ResponseMetadata, NpgsqlDbType.Jsonb)),
        new("additional_metadata", (w, e) => w.WriteNullable(e.AdditionalMetadata, NpgsqlDbType.Jsonb)),
        new("created_at", (w, e) => w.Write(e.CreatedAt, NpgsqlDbType.TimestampTz)),
        new("source", (w, e) => w.WriteNullable(e.Source, NpgsqlDbType.Text)),
        new("tenant_id", (w, e) => w.WriteNullable(e.TenantId, NpgsqlDbType.Text)),
        new("request_id", (w, e) => w.WriteNullable(e.RequestId, NpgsqlDbType.Text)),
        new("ip_address", (w, e) => w.WriteNullable(e.IpAddress, NpgsqlDbType.Inet)),
        new("user_agent", (w, e) => w.WriteNullable(e.UserAgent, NpgsqlDbType.Text)),
        new("http_method", (w, e) => w.WriteNullable(e.HttpMethod, NpgsqlDbType.Text)),
        new("http_path", (w, e) => w.WriteNullable(e.HttpPath, NpgsqlDbType.Text)),
        new("http_status", (w, e) => w.WriteNullable(e.HttpStatus, NpgsqlDbType.Smallint)),
        new("latency_ms", (w, e) => w.WriteNullable(e.LatencyMs, NpgsqlDbType.Double)),
        new("partition_id", (w, e) => w.Write(e.PartitionId, NpgsqlDbType.Integer)),
        new("seq", (w, e) => w.Write(e.Seq, NpgsqlDbType.Bigint)),
    ];

    /// <summary>Columns that place a row in storage (its partition sequence) rather than describe the entry.</summary>
    private static readonly HashSet<string> StorageOnly = ["partition_id", "seq"];

    public static string CopyList => string.Join(", ", All.Select(c => c.Name));

    /// <summary>What a read returns of each entry: every column but the storage-only ones.</summary>
    public static string EntryList => string.Join(", ", All.Where(c => !StorageOnly.Contains(c.Name)).Select(c => c.Name));
}
