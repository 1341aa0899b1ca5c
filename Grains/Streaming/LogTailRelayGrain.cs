using Argus.Grains.Abstractions.Streaming;
using Orleans.Placement;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Argus.Grains.Streaming;

/// <summary>
/// The live tail's consumer of one partition's stream (an implicit subscription: every partition's
/// stream has one, wherever its receiver runs). It passes each slice on, one-way, to the nodes
/// watching (each node fans it out to its own tail clients), so a stream event costs one message
/// per watching node, not per client, and a slow node never holds up the stream. Placed with the
/// pulling agent that delivers to it.
/// </summary>
[ImplicitStreamSubscription(LogStreams.Namespace)]
[PreferLocalPlacement]
public sealed class LogTailRelayGrain(TimeProvider time) : Grain, ILogTailRelay, IStreamSubscriptionObserver, IAsyncObserver<LogSlice>
{
    private readonly Dictionary<ILogTailObserver, long> watchers = [];

    public Task WatchAsync(ILogTailObserver observer)
    {
        watchers[observer] = time.GetTimestamp();
        return Task.CompletedTask;
    }

    public Task UnwatchAsync(ILogTailObserver observer)
    {
        watchers.Remove(observer);
        return Task.CompletedTask;
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<LogSlice>().ResumeAsync(this);

    public Task OnNextAsync(LogSlice item, StreamSequenceToken? token = null)
    {
        foreach (var (observer, renewed) in watchers.ToList())
        {
            if (time.GetElapsedTime(renewed) > ILogTailRelay.WatchLifetime)
            {
                watchers.Remove(observer);
                continue;
            }

            observer.OnCommitted(item);
        }

        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
