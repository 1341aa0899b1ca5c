using Argus.Grains.Abstractions.Streaming;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace Argus.Grains.Streaming;

/// <summary>One event of a partition's stream: a slice of consecutive committed entries, ordered by the sequence number of its last.</summary>
[GenerateSerializer, Immutable]
public sealed class LogBatchContainer(StreamId streamId, LogSlice slice) : IBatchContainer
{
    [Id(0)]
    public StreamId StreamId { get; } = streamId;

    [Id(1)]
    public LogSlice Slice { get; } = slice;

    public StreamSequenceToken SequenceToken => new EventSequenceTokenV2(Slice.Through);

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Slice is T value ? [Tuple.Create(value, SequenceToken)] : [];

    public bool ImportRequestContext() => false;
}
