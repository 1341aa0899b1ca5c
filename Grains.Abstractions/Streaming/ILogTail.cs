namespace Argus.Grains.Abstractions.Streaming;

/// <summary>
/// A node's receiver of the committed log: told of every slice of a partition's stream that the
/// partition's relay takes while the observer is watching. One-way: a relay never waits for a
/// node, and a node that misses a slice notices the gap by its sequence numbers.
/// </summary>
public interface ILogTailObserver : IGrainObserver
{
    [Orleans.Concurrency.OneWay]
    void OnCommitted(LogSlice slice);
}

/// <summary>
/// The consumer of one partition's log stream that passes it on to the nodes watching it (the
/// nodes serving live tails). A watch lapses unless renewed within <see cref="WatchLifetime"/>, so
/// a node that died is forgotten and a relay that moved is found again by the next renewal.
/// </summary>
public interface ILogTailRelay : IGrainWithIntegerKey
{
    public static readonly TimeSpan WatchLifetime = TimeSpan.FromSeconds(30);

    Task WatchAsync(ILogTailObserver observer);

    Task UnwatchAsync(ILogTailObserver observer);
}
