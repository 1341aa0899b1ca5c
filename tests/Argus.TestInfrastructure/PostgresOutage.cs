using Npgsql;

namespace Argus.TestInfrastructure;

/// <summary>
/// Makes a test database unreachable, as a Postgres outage would look to Argus: no new
/// connection is accepted and every open one is dropped. Ends when disposed.
/// </summary>
public sealed class PostgresOutage : IAsyncDisposable
{
    private readonly TestDatabase database;
    private bool ended;

    private PostgresOutage(TestDatabase database) => this.database = database;

    public static async Task<PostgresOutage> BeginAsync(TestDatabase database)
    {
        await AdminAsync($"ALTER DATABASE {database.Name} ALLOW_CONNECTIONS false");
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database.Name}'");
        return new PostgresOutage(database);
    }

    public async Task EndAsync()
    {
        if (!ended)
        {
            ended = true;
            await AdminAsync($"ALTER DATABASE {database.Name} ALLOW_CONNECTIONS true");
        }
    }

    public ValueTask DisposeAsync() => new(EndAsync());

    private static async Task AdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(TestPostgres.ServerConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}
