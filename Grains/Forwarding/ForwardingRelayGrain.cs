using Argus.Grains.Abstractions.Streaming;
using Argus.Grains.Streaming;
using Orleans.Placement;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Argus.Grains.Forwarding;

/// <summary>
/// The forwarders' consumer of one partition's stream: hands each slice to the partition's lane of
/// every forwarder, which delivers from memory while slices continue its position. A lane never
/// depends on this for completeness (it reads what it lacks from Postgres); the stream makes it prompt.
/// </summary>
[ImplicitStreamSubscription(LogStreams.Namespace)]
[PreferLocalPlacement]
public sealed class ForwardingRelayGrain(ForwarderCatalog catalog) : Grain, IGrainWithIntegerKey, IStreamSubscriptionObserver, IAsyncObserver<LogSlice>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<LogSlice>().ResumeAsync(this);

    public Task OnNextAsync(LogSlice item, StreamSequenceToken? token = null) =>
        Task.WhenAll(catalog.All.Select(f => GrainFactory.GetGrain<IForwarderLane>(ForwarderLaneGrain.KeyOf(f.Name, item.Partition)).OfferAsync(item)));

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
