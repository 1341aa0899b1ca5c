using Argus.Grains.Abstractions.Streaming;
using Orleans.Placement;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Argus.Grains.Streaming;

/// <summary>
/// The consumer of one partition's stream (an implicit subscription: every partition's stream has
/// one, wherever its receiver runs), which passes each slice on: one-way to the nodes watching for
/// their live tails (each node fans it out to its own clients, so a slice costs one message per
/// watching node, not per client, and a slow node never holds up the stream), and to the
/// partition's lane of every forwarder. Placed with the pulling agent that delivers to it. Neither
/// depends on it for completeness (both read what they lack from Postgres); it makes them prompt.
/// </summary>
[ImplicitStreamSubscription(LogStreams.Namespace)]
[PreferLocalPlacement]
public sealed class LogRelayGrain(TimeProvider time, Forwarding.ForwarderCatalog forwarders) : Grain, ILogTailRelay, IStreamSubscriptionObserver, IAsyncObserver<LogSlice>
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

        return forwarders.All.Count == 0
            ? Task.CompletedTask
            : Task.WhenAll(forwarders.All.Select(f => GrainFactory.GetGrain<Forwarding.IForwarderLane>(Forwarding.ForwarderLaneGrain.KeyOf(f.Name, item.Partition)).OfferAsync(item)));
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
