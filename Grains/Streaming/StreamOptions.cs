namespace Argus.Grains.Streaming;

/// <summary>Settings of the committed log's stream, under <c>Argus:Streams</c>.</summary>
public sealed class StreamOptions
{
    public const string Section = "Argus:Streams";

    /// <summary>How often a silo reads the partitions' heads for commits made on other silos.</summary>
    public TimeSpan HeadPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often a pulling agent asks its partition's receiver for entries.</summary>
    public TimeSpan PullInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>At most this many entries per stream event.</summary>
    public int MaxSliceEntries { get; set; } = 256;

    /// <summary>Entries per partition a silo keeps from its own commits, for receivers on the silo to take without reading Postgres.</summary>
    public int RecentEntries { get; set; } = 2048;

    /// <summary>A receiver writes its checkpoint at most this often (and when it stops).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);
}
