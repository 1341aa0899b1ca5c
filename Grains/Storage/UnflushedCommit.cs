using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// Runs one statement in a transaction committed without waiting for the WAL's flush
/// (<c>synchronous_commit</c> off for that transaction only). For progress markers whose loss in a
/// Postgres crash only means work is done again (stream checkpoints, forwarder positions): they
/// then cost no disk sync of their own beside the log's commits.
/// </summary>
internal static class UnflushedCommit
{
    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, NpgsqlBatchCommand statement, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        batch.BatchCommands.Add(statement);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
