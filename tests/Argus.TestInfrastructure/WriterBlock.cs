using Npgsql;

namespace Argus.TestInfrastructure;

/// <summary>
/// Holds every silo's writer inside Postgres: the partition fencing table is locked, so the
/// next commit waits there until <see cref="ReleaseAsync"/>. Lets a test pile entries up
/// behind a commit deterministically, with no timing involved.
/// </summary>
public sealed class WriterBlock : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;
    private bool released;

    private WriterBlock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        this.connection = connection;
        this.transaction = transaction;
    }

    public static async Task<WriterBlock> HoldAsync(TestDatabase database)
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE argus_partitions IN EXCLUSIVE MODE", connection, transaction))
        {
            await hold.ExecuteNonQueryAsync();
        }

        return new WriterBlock(connection, transaction);
    }

    public async Task ReleaseAsync()
    {
        if (!released)
        {
            released = true;
            await transaction.RollbackAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
