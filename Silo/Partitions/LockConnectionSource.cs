using Npgsql;

namespace Argus.Silo.Partitions;

/// <summary>
/// Opens the connection that holds partition locks. It is never pooled: a pooled connection
/// would go back to the pool still holding its session locks, while closing an unpooled one
/// ends the session and so releases them, exactly as a crash would.
/// </summary>
internal sealed class LockConnectionSource : IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;

    public LockConnectionSource(string connectionString, string siloId)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Pooling = false;
        builder.ConnectionStringBuilder.ApplicationName = Truncate("argus-locks:" + siloId);
        // Probe the server so a half-open connection is found even while idle.
        builder.ConnectionStringBuilder.KeepAlive = 5;
        dataSource = builder.Build();
    }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) =>
        dataSource.OpenConnectionAsync(cancellationToken);

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <summary>Postgres keeps application names to 63 bytes.</summary>
    internal static string Truncate(string name) => name.Length <= 63 ? name : name[..63];
}
