using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Messaging;

namespace Argus.Client.Clustering;

public static class PostgresClusteringClientExtensions
{
    /// <summary>
    /// Finds the cluster's gateways in the membership table its silos keep in Postgres
    /// (<see cref="PostgresGatewayListProvider"/>); the cluster is <c>ClusterOptions.ClusterId</c>,
    /// refreshed every <c>GatewayOptions.GatewayListRefreshPeriod</c>.
    /// </summary>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder builder, Action<PostgresClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PostgresClusteringOptions>().Configure(configure).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PostgresClusteringOptions>, PostgresClusteringOptionsValidator>();
        builder.Services.AddSingleton<IGatewayListProvider, PostgresGatewayListProvider>();
        return builder;
    }
}
