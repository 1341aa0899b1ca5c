using Npgsql;

namespace Argus.TestInfrastructure;

/// <summary>
/// The Postgres server the tests run against: <c>ARGUS_TEST_POSTGRES</c>, which <c>./argus test</c>
/// sets to a throwaway server it started. Each fixture gets a database of its own.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "ARGUS_TEST_POSTGRES";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable)
        ?? throw new InvalidOperationException($"{Variable} is not set: run the tests with ./argus test, which starts a throwaway Postgres.");

    public static async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = "argus_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(ServerConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name };
        return new TestDatabase(name, builder.ConnectionString);
    }
}
