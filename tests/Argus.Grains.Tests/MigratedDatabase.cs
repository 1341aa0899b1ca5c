using Argus.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Argus.Grains.Tests;

/// <summary>A database of its own with the Argus schema applied by <see cref="SchemaMigrator"/> and the cluster's partitions created.</summary>
public sealed class MigratedDatabase : IAsyncLifetime
{
    public const int PartitionCount = 8;

    public TestDatabase Database { get; private set; } = null!;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public AuditStore Store { get; private set; } = null!;

    public static SchemaMigrator Migrator(NpgsqlDataSource dataSource) => new(dataSource, NullLogger<SchemaMigrator>.Instance);

    public async Task InitializeAsync()
    {
        Database = await TestPostgres.CreateDatabaseAsync();
        DataSource = NpgsqlDataSource.Create(Database.ConnectionString);
        await Migrator(DataSource).MigrateAsync(CancellationToken.None);
        Store = new AuditStore(DataSource);
        Assert.Equal(PartitionCount, await Store.EnsureClusterAsync(PartitionCount, CancellationToken.None));
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
