using Npgsql;

namespace Argus.TestInfrastructure;

/// <summary>
/// A lock taken by a statement in a transaction left open, so that the statements a test starts
/// next queue up behind it; released once as many as expected are seen waiting. Then they run into
/// each other for real, not one after the other by chance.
/// </summary>
public sealed class HeldLock : IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;

    private HeldLock(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        this.dataSource = dataSource;
        this.connection = connection;
        this.transaction = transaction;
    }

    /// <summary>Runs <paramref name="sql"/> (a <c>SELECT ... FOR UPDATE</c>, an <c>INSERT</c>) and keeps its transaction open.</summary>
    public static async Task<HeldLock> TakeAsync(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        var connection = await dataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
        return new HeldLock(dataSource, connection, transaction);
    }

    /// <summary>
    /// Waits until <paramref name="count"/> other sessions of this database wait for a lock (only
    /// those of <paramref name="applicationName"/> when given: <c>pg_dump</c>, say).
    /// </summary>
    public Task WaitForWaitersAsync(int count, string? applicationName = null) => Eventually.WaitUntilAsync(
        async () =>
        {
            await using var command = dataSource.CreateCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND ($1::text IS NULL OR application_name = $1)");
            command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = applicationName, DataTypeName = "text" });
            return (long)(await command.ExecuteScalarAsync())! >= count;
        },
        $"{count} statements{(applicationName is null ? "" : " of " + applicationName)} waiting behind the held lock",
        TimeSpan.FromSeconds(10));

    public Task CommitAsync() => transaction.CommitAsync();

    public Task RollbackAsync() => transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
