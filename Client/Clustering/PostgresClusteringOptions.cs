namespace Argus.Client.Clustering;

/// <summary>Where an Orleans client finds the cluster's gateways: the Postgres database the silos keep their membership in.</summary>
public sealed class PostgresClusteringOptions
{
    /// <summary>An Npgsql connection string to the silos' database, e.g. <c>Host=db;Username=argus;Database=argus</c>.</summary>
    public string ConnectionString { get; set; } = "";
}
