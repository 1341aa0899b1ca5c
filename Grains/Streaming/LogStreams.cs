using Orleans.Runtime;

namespace Argus.Grains.Streaming;

/// <summary>
/// The committed log as Orleans streams: one stream per partition, in the provider
/// <see cref="ProviderName"/>, namespace <see cref="Namespace"/>, keyed by the partition number.
/// Its events are <see cref="Abstractions.Streaming.LogSlice"/>s in sequence order. Entries enter it by being committed,
/// never by being produced to it.
/// </summary>
public static class LogStreams
{
    public const string ProviderName = "argus-log";

    public const string Namespace = "argus-log";

    public static StreamId Of(int partition) => StreamId.Create(Namespace, partition);

    /// <summary>The partition a stream of the log belongs to.</summary>
    public static int PartitionOf(StreamId stream) =>
        int.Parse(stream.GetKeyAsString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
}
