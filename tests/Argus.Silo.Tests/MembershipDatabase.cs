using Argus.Grains.Storage;
using Argus.Silo.Clustering;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Configuration;

namespace Argus.Silo.Tests;

/// <summary>
/// A database of its own with the Argus schema applied by <see cref="SchemaMigrator"/>. Tests keep
/// apart by giving each cluster they write a new cluster id.
/// </summary>
public sealed class MembershipDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public static string NewClusterId() => "test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The membership table of <paramref name="clusterId"/>, as a silo of that cluster has it.</summary>
    public PostgresMembershipTable Table(string clusterId) =>
        new(DataSource, Microsoft.Extensions.Options.Options.Create(new ClusterOptions { ClusterId = clusterId }), NullLogger<PostgresMembershipTable>.Instance);

    public async Task InitializeAsync()
    {
        Database = await TestPostgres.CreateDatabaseAsync();
        DataSource = NpgsqlDataSource.Create(Database.ConnectionString);
        await new SchemaMigrator(DataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
