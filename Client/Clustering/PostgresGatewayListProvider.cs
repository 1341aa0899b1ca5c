using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Argus.Client.Clustering;

/// <summary>
/// The gateways of an Orleans client's cluster, read from the membership table the silos keep in
/// Postgres: every Active silo of the cluster that accepts clients (a proxy port). The client has
/// its own connections, since it runs outside any silo.
/// </summary>
public sealed partial class PostgresGatewayListProvider : IGatewayListProvider, IAsyncDisposable, IDisposable
{
    private const string UndefinedTable = "42P01";

    private readonly NpgsqlDataSource dataSource;
    private readonly string clusterId;
    private readonly ILogger<PostgresGatewayListProvider> logger;

    public PostgresGatewayListProvider(
        IOptions<PostgresClusteringOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        IOptions<GatewayOptions> gatewayOptions,
        ILogger<PostgresGatewayListProvider> logger)
    {
        dataSource = NpgsqlDataSource.Create(options.Value.ConnectionString);
        clusterId = clusterOptions.Value.ClusterId;
        MaxStaleness = gatewayOptions.Value.GatewayListRefreshPeriod;
        this.logger = logger;
    }

    public TimeSpan MaxStaleness { get; }

    [Obsolete("Orleans no longer reads it: every provider is refreshed.")]
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync(CancellationToken.None);

    public Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync(CancellationToken.None);

    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT address, proxy_port, generation FROM argus_membership
             WHERE cluster_id = $1 AND status = $2 AND proxy_port > 0
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)SiloStatus.Active });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var gateways = new List<Uri>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var gateway = new IPEndPoint(reader.GetFieldValue<IPAddress>(0), reader.GetInt32(1));
                gateways.Add(SiloAddress.New(gateway, reader.GetInt32(2)).ToGatewayUri());
            }

            return gateways;
        }
        catch (PostgresException e) when (e.SqlState == UndefinedTable)
        {
            // No silo has started on this database yet (they create the table): no gateways, and
            // the client asks again, as it does while a cluster has none.
            LogNoMembershipTable(clusterId);
            return [];
        }
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    public void Dispose() => dataSource.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "No gateways for cluster {ClusterId}: the membership table does not exist yet")]
    private partial void LogNoMembershipTable(string clusterId);
}
