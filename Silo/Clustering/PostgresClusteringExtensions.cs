using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;

namespace Argus.Silo.Clustering;

public static class PostgresClusteringExtensions
{
    /// <summary>
    /// Keeps this silo's cluster membership in Postgres (<see cref="PostgresMembershipTable"/>),
    /// through the <see cref="Npgsql.NpgsqlDataSource"/> registered in the silo's services. The
    /// cluster is <c>ClusterOptions.ClusterId</c>; the schema is Argus' own (migration 007).
    /// </summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder builder)
    {
        builder.Services.AddSingleton<IMembershipTable, PostgresMembershipTable>();
        return builder;
    }
}
