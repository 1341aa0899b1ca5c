namespace Argus.Client;

/// <summary>How an in-cluster caller finds and talks to the silos (section <c>Argus:Cluster</c>).</summary>
public sealed class ArgusClusterOptions
{
    public const string Section = "Argus:Cluster";

    /// <summary>Silo addresses to discover the cluster from, comma-separated, e.g. <c>http://silo-1:3001,http://silo-2:3001</c>.</summary>
    public string Seeds { get; set; } = "";

    /// <summary>How long an append keeps re-routing (partitions moving, a silo lost) before it fails.</summary>
    public TimeSpan RoutingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on one call to a silo.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<Uri> SeedSilos =>
        Seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => new Uri(s));
}
