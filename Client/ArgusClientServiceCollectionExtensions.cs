using Argus.Client.Clustering;
using Argus.Client.Hosting;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Argus.Client;

public static class ArgusClientServiceCollectionExtensions
{
    /// <summary>The connection string's name: <c>ConnectionStrings:Argus</c> (env: <c>ConnectionStrings__Argus</c>).</summary>
    public const string ConnectionStringName = "Argus";

    /// <summary>Registers <see cref="ArgusClient"/>, configured from <c>Argus:Client</c> (BaseAddress, MaxAttempts, MaxBackoff).</summary>
    public static IServiceCollection AddArgusClient(this IServiceCollection services, IConfiguration configuration, Action<ArgusClientOptions>? configure = null)
    {
        var options = services.AddOptions<ArgusClientOptions>().Bind(configuration.GetSection(ArgusClientOptions.Section));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<ArgusClientOptions>>();
            var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                BaseAddress = settings.Value.BaseAddress,
            };
            if (settings.Value.ApiKey is { Length: > 0 } key)
            {
                http.DefaultRequestHeaders.Add("X-API-Key", key);
            }

            return new ArgusClient(http, settings, sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>
    /// Makes this process an Orleans client of the Argus cluster and registers
    /// <see cref="ArgusClusterClient"/> as the <see cref="IArgusCluster"/>: each append goes straight to
    /// the silo owning its partition, no HTTP hop. The silos' client gateways are found in the
    /// membership table in Postgres (<c>ConnectionStrings:Argus</c>); cluster and service ids come
    /// from <c>Argus:Cluster</c>. While no silo is up yet, the client keeps trying to connect for
    /// <see cref="ArgusClusterOptions.ConnectTimeout"/>.
    /// </summary>
    public static IHostApplicationBuilder AddArgusClusterClient(this IHostApplicationBuilder builder, Action<ArgusClusterOptions>? configure = null) =>
        builder.AddArgusClusterClient(configure, entriesValidated: false);

    /// <param name="entriesValidated">True for the HTTP API, which reads entries by the same rules before it appends them.</param>
    /// <param name="orleans">More of the Orleans client's configuration (the host's dashboard).</param>
    internal static IHostApplicationBuilder AddArgusClusterClient(
        this IHostApplicationBuilder builder, Action<ArgusClusterOptions>? configure, bool entriesValidated, Action<IClientBuilder>? orleans = null)
    {
        var connectionString = RequiredConnectionString(builder.Configuration);
        var section = builder.Configuration.GetSection(ArgusClusterOptions.Section);
        var options = builder.Services.AddValidatedOptions<ArgusClusterOptions>(section, o => o.Validate());
        var cluster = ValidatedOptions.Read<ArgusClusterOptions>(section, o => o.Validate());
        if (configure is not null)
        {
            options.Configure(configure);
            configure(cluster);
        }

        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.UsePostgresClustering(o => o.ConnectionString = connectionString);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = ClientTimeouts.GatewayListRefreshPeriod);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ClientTimeouts.ResponseTimeout);
            client.UseConnectionRetryFilter(new ConnectionRetry(cluster.ConnectTimeout));

            // The caller's trace (Activity.Current) travels with each grain call, so a silo's spans join it.
            client.AddActivityPropagation();
            orleans?.Invoke(client);
        });
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IArgusCluster>(sp => new ArgusClusterClient(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<IOptions<ArgusClusterOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ArgusClusterClient>>(), entriesValidated, localOwners: null));
        return builder;
    }

    /// <summary>The Postgres connection string every silo and cluster client needs.</summary>
    public static string RequiredConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionStringName)
        ?? throw new InvalidOperationException(
            $"No Postgres connection string: set ConnectionStrings:{ConnectionStringName} (environment: ConnectionStrings__{ConnectionStringName}).");

    /// <summary>Keeps trying while no gateway is reachable (silos not up yet), up to a deadline.</summary>
    private sealed class ConnectionRetry(TimeSpan timeout) : IClientConnectionRetryFilter
    {
        private readonly DateTime deadline = DateTime.UtcNow + timeout;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested || DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
    }
}
