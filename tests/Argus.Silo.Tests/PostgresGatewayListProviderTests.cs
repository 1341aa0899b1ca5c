using System.Net;
using Argus.Client.Clustering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Argus.Silo.Tests;

/// <summary>What an Orleans client learns from the silos' membership table: the gateways to connect to.</summary>
public sealed class PostgresGatewayListProviderTests(MembershipDatabase db) : IClassFixture<MembershipDatabase>
{
    [Fact]
    public async Task Lists_the_active_gateways_of_its_cluster_only()
    {
        var clusterId = MembershipDatabase.NewClusterId();
        var table = db.Table(clusterId);
        await table.InitializeMembershipTableAsync(true);
        var gateway = SiloAddress.New(IPAddress.Parse("127.0.0.2"), 11111, 7);
        await InsertAsync(table, Entry(gateway, SiloStatus.Active, proxyPort: 30001));
        await InsertAsync(table, Entry(SiloAddress.New(IPAddress.Loopback, 11112, 7), SiloStatus.Active, proxyPort: 0));
        await InsertAsync(table, Entry(SiloAddress.New(IPAddress.Loopback, 11113, 7), SiloStatus.Joining, proxyPort: 30003));
        await InsertAsync(table, Entry(SiloAddress.New(IPAddress.Loopback, 11114, 7), SiloStatus.ShuttingDown, proxyPort: 30004));
        await InsertAsync(table, Entry(SiloAddress.New(IPAddress.Loopback, 11115, 7), SiloStatus.Dead, proxyPort: 30005));
        var otherCluster = db.Table(MembershipDatabase.NewClusterId());
        await otherCluster.InitializeMembershipTableAsync(true);
        await InsertAsync(otherCluster, Entry(SiloAddress.New(IPAddress.Loopback, 11116, 7), SiloStatus.Active, proxyPort: 30006));

        await using var provider = Provider(db.Database.ConnectionString, clusterId);
        await provider.InitializeGatewayListProviderAsync();
        var gateways = await provider.GetGatewaysAsync();

        var expected = SiloAddress.New(new IPEndPoint(gateway.Endpoint.Address, 30001), gateway.Generation).ToGatewayUri();
        Assert.Equal(expected, Assert.Single(gateways));
        Assert.Equal(new Uri("gwy.tcp://127.0.0.2:30001/7"), expected);
    }

    [Fact]
    public async Task A_database_without_the_membership_table_has_no_gateways()
    {
        await using var empty = await TestPostgres.CreateDatabaseAsync();
        await using var provider = Provider(empty.ConnectionString, MembershipDatabase.NewClusterId());

        await provider.InitializeGatewayListProviderAsync();

        Assert.Empty(await provider.GetGatewaysAsync());
    }

    [Fact]
    public async Task Refreshes_as_often_as_the_client_refreshes_its_gateways()
    {
        await using var provider = Provider(db.Database.ConnectionString, MembershipDatabase.NewClusterId(), TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), provider.MaxStaleness);
    }

    [Fact]
    public async Task A_client_without_a_connection_string_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UsePostgresClustering(_ => { }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(nameof(PostgresClusteringOptions.ConnectionString), error.Message, StringComparison.Ordinal);
    }

    private static PostgresGatewayListProvider Provider(string connectionString, string clusterId, TimeSpan? refreshPeriod = null) => new(
        Microsoft.Extensions.Options.Options.Create(new PostgresClusteringOptions { ConnectionString = connectionString }),
        Microsoft.Extensions.Options.Options.Create(new ClusterOptions { ClusterId = clusterId }),
        Microsoft.Extensions.Options.Options.Create(new GatewayOptions { GatewayListRefreshPeriod = refreshPeriod ?? TimeSpan.FromMinutes(1) }),
        NullLogger<PostgresGatewayListProvider>.Instance);

    private static async Task InsertAsync(IMembershipTable table, MembershipEntry entry)
    {
        var version = (await table.ReadAllAsync()).Version;
        Assert.True(await table.InsertRowAsync(entry, version.Next()));
    }

    private static MembershipEntry Entry(SiloAddress silo, SiloStatus status, int proxyPort) => new()
    {
        SiloAddress = silo,
        Status = status,
        ProxyPort = proxyPort,
        SiloName = "silo-" + silo.Endpoint.Port,
        HostName = "localhost",
        StartTime = DateTime.UtcNow,
        IAmAliveTime = DateTime.UtcNow,
    };
}
