using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Argus.Client;

public static class ArgusClientServiceCollectionExtensions
{
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
            return new ArgusClient(http, settings, sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>
    /// Registers <see cref="ArgusClusterClient"/> as the <see cref="Grains.Abstractions.IArgusCluster"/>:
    /// appends go straight to the silo owning each entry's partition (no gateway hop). Configured
    /// from <c>Argus:Cluster</c> (Seeds, RoutingTimeout, RequestTimeout).
    /// </summary>
    public static IServiceCollection AddArgusClusterClient(this IServiceCollection services, IConfiguration configuration, Action<ArgusClusterOptions>? configure = null)
    {
        var options = services.AddOptions<ArgusClusterOptions>().Bind(configuration.GetSection(ArgusClusterOptions.Section));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ArgusClusterClient>();
        services.AddSingleton<Grains.Abstractions.IArgusCluster>(sp => sp.GetRequiredService<ArgusClusterClient>());
        return services;
    }
}
