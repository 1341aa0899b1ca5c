namespace Argus.Gateway.Tail;

/// <summary>Settings of the live tail, under <c>Argus:Tail</c>.</summary>
public sealed class TailOptions
{
    public const string Section = "Argus:Tail";

    /// <summary>A comment line is sent this long after the last write, so proxies and clients see the stream alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A client that has caught up once and then falls this many entries behind the log (summed
    /// over the partitions) is dropped with the reason: it reads slower than entries are committed.
    /// </summary>
    public long MaxLag { get; set; } = 10_000;

    /// <summary>A write the client does not take within this time drops it (it stopped reading).</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Entries per partition a node keeps from the stream for its clients; older ones are read from Postgres.</summary>
    public int RecentEntries { get; set; } = 1024;

    /// <summary>How often a node with tail clients reads the partitions' heads, which covers any slice it missed.</summary>
    public TimeSpan HeadRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a node renews its watch of every partition's relay (watches lapse after 30 s).</summary>
    public TimeSpan WatchRenewInterval { get; set; } = TimeSpan.FromSeconds(10);
}
