using System.Net;
using Argus.Client.Clustering;
using Argus.Silo.Clustering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Argus.Silo.Tests;

/// <summary>Real Orleans silos and a real Orleans client in this process, finding each other through the Postgres membership table.</summary>
[Trait("Category", "Cluster")]
public sealed class OrleansClusterTests(MembershipDatabase db, ITestOutputHelper output) : IClassFixture<MembershipDatabase>
{
    private const string ServiceId = "argus-tests";

    [Fact]
    public async Task Silos_join_and_leave_through_the_table_and_a_client_connects_through_its_gateways()
    {
        var clusterId = MembershipDatabase.NewClusterId();
        var ports = FreePorts.Take(4);
        var first = new SiloPorts(ports[0], ports[1]);
        var second = new SiloPorts(ports[2], ports[3]);
        using var firstSilo = BuildSilo("silo-1", clusterId, first);
        using var secondSilo = BuildSilo("silo-2", clusterId, second);
        var table = db.Table(clusterId);

        // Started together, so their first writes to the table race.
        await Task.WhenAll(firstSilo.StartAsync(), secondSilo.StartAsync());
        await Eventually.WaitUntilAsync(
            async () => (await table.ReadAllAsync()).Members.Count(m => m.Item1.Status == SiloStatus.Active) == 2,
            "both silos Active in the membership table");
        var rows = (await table.ReadAllAsync()).Members.Select(m => m.Item1).ToDictionary(e => e.SiloAddress.Endpoint.Port);
        Assert.Equal(new[] { first.Silo, second.Silo }.Order(), rows.Keys.Order());
        Assert.Equal(first.Gateway, rows[first.Silo].ProxyPort);
        Assert.Equal(second.Gateway, rows[second.Silo].ProxyPort);
        Assert.Equal("silo-1", rows[first.Silo].SiloName);

        using var clientHost = BuildClient(clusterId);
        await clientHost.StartAsync();
        var client = clientHost.Services.GetRequiredService<IClusterClient>();
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(
            rows.Values.Select(e => e.SiloAddress).OrderBy(s => s.Endpoint.Port),
            hosts.Keys.OrderBy(s => s.Endpoint.Port));

        await secondSilo.StopAsync();
        await Eventually.WaitUntilAsync(
            async () => (await table.ReadRowAsync(rows[second.Silo].SiloAddress)).Members.Single().Item1.Status == SiloStatus.Dead,
            "the stopped silo Dead in the membership table",
            TimeSpan.FromSeconds(10));
        Assert.Equal(SiloStatus.Active, (await table.ReadRowAsync(rows[first.Silo].SiloAddress)).Members.Single().Item1.Status);
        var gateways = await clientHost.Services.GetRequiredService<IGatewayListProvider>().GetGatewaysAsync();
        Assert.Equal(SiloAddress.New(new IPEndPoint(IPAddress.Loopback, first.Gateway), rows[first.Silo].SiloAddress.Generation).ToGatewayUri(), Assert.Single(gateways));

        await clientHost.StopAsync();
        await firstSilo.StopAsync();
    }

    private IHost BuildSilo(string name, string clusterId, SiloPorts ports)
    {
        var builder = Host.CreateApplicationBuilder();
        Log(builder, name);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(db.Database.ConnectionString));
        builder.UseOrleans(silo =>
        {
            silo.UsePostgresClustering();
            silo.Configure<SiloOptions>(o => o.SiloName = name);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = ServiceId;
            });
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = IPAddress.Loopback;
                o.SiloPort = ports.Silo;
                o.GatewayPort = ports.Gateway;
                o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Loopback, ports.Silo);
                o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Loopback, ports.Gateway);
            });
        });
        return builder.Build();
    }

    private IHost BuildClient(string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        Log(builder, "client");
        builder.UseOrleansClient(client =>
        {
            client.UsePostgresClustering(o => o.ConnectionString = db.Database.ConnectionString);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = ServiceId;
            });
        });
        return builder.Build();
    }

    private void Log(HostApplicationBuilder builder, string name)
    {
        builder.Logging.ClearProviders().AddProvider(new TestOutputLoggerProvider(output, name));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans.Runtime.MembershipService", LogLevel.Information);
        builder.Logging.AddFilter("Argus", LogLevel.Debug);
    }

    private readonly record struct SiloPorts(int Silo, int Gateway);
}
