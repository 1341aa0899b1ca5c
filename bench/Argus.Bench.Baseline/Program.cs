// The baseline: what a simple audit service does. Same parsing, same table and indexes as
// Argus, but every request runs its own INSERT (its own transaction and WAL flush) before 201.
// It keeps no maintained counts: a simple service has none, and its 64 concurrent one-row
// transactions would queue on the shared count rows, which Argus's one writer per silo does not.
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Storage;
using Npgsql;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var sourceBuilder = new NpgsqlDataSourceBuilder(builder.Configuration.GetConnectionString("Argus"));
sourceBuilder.ConnectionStringBuilder.MaxPoolSize = 64;
await using var dataSource = sourceBuilder.Build();
await new SchemaMigrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
await using (var setup = dataSource.CreateCommand("CREATE SEQUENCE IF NOT EXISTS baseline_seq; ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_counts; " +
    "SELECT argus_ensure_months(now() - interval '1 day', now() + interval '1 day')"))
{
    await setup.ExecuteNonQueryAsync();
}

var app = builder.Build();
app.MapGet("/health", () => "ok");
app.MapPost("/api/audit-logs", async (HttpContext context) =>
{
    using var body = new MemoryStream();
    await context.Request.Body.CopyToAsync(body, context.RequestAborted);
    AuditEntry entry;
    try
    {
        entry = AuditEntryJson.ReadRequest(body.GetBuffer().AsSpan(0, (int)body.Length));
    }
    catch (AuditValidationException e)
    {
        context.Response.StatusCode = 400;
        await context.Response.WriteAsJsonAsync(new ErrorResponse(e.Message, e.Field), ArgusJsonContext.Default.ErrorResponse);
        return;
    }

    entry = entry with { Id = Guid.CreateVersion7(), CreatedAt = Rfc3339.TruncateToMicroseconds(DateTimeOffset.UtcNow) };
    await using var insert = dataSource.CreateCommand(
        "INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, " +
        "target_id, request_metadata, response_metadata, additional_metadata, created_at, partition_id, seq) " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14, $15, nextval('baseline_seq'))");
    insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = entry.Id });
    insert.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.TraceId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
    insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = entry.Timestamp.UtcDateTime });
    foreach (var text in new[] { entry.EventType, entry.EventAction?.ToWire(), entry.Status.ToWire(), entry.ActorType.ToWire(), entry.ActorId,
                 entry.TargetType.ToWire(), entry.TargetId, entry.RequestMetadata, entry.ResponseMetadata, entry.AdditionalMetadata })
    {
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
    }

    insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = entry.CreatedAt.UtcDateTime });
    insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PartitionHash.PartitionOf(entry.PartitionKey, 64) });
    await insert.ExecuteNonQueryAsync(context.RequestAborted);

    context.Response.StatusCode = 201;
    context.Response.ContentType = "application/json; charset=utf-8";
    await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
    {
        AuditEntryJson.Write(writer, entry);
    }
});

await app.RunAsync();
