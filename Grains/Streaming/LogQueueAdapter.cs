using Argus.Grains.Partitions;
using Argus.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace Argus.Grains.Streaming;

/// <summary>
/// The committed log as a persistent stream provider: its queues are the partitions and its storage
/// is the partition log in Postgres. Nothing is produced through it (an entry joins the log by being
/// committed, fenced, before its writer is answered); receivers read each partition's entries by
/// sequence number after their consumer group's checkpoint. Orleans' pulling agents and queue
/// balancer spread the partitions' receivers over the silos and move them when silos come and go.
/// </summary>
public sealed class LogQueueAdapterFactory(string name, IServiceProvider services) : IQueueAdapterFactory
{
    private readonly LocalPartitions partitions = services.GetRequiredService<LocalPartitions>();
    private readonly IQueueAdapterCache cache = new SimpleQueueAdapterCache(new SimpleQueueCacheOptions(), name, services.GetRequiredService<ILoggerFactory>());
    private LogQueueMapper? mapper;

    public static IQueueAdapterFactory Create(IServiceProvider services, string name) => new LogQueueAdapterFactory(name, services);

    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(new LogQueueAdapter(name, services));

    public IQueueAdapterCache GetQueueAdapterCache() => cache;

    /// <summary>Known once the silo has read its schema (the partition count is the cluster's, fixed at creation).</summary>
    public IStreamQueueMapper GetStreamQueueMapper() =>
        mapper ??= partitions.IsReady ? new LogQueueMapper(name, partitions.PartitionCount) : throw new InvalidOperationException("the partition count is not known yet");

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());
}

/// <summary>
/// One queue per partition, the partition's stream its only stream. The queues' hashes are spread
/// evenly over the ring, so the consistent ring balancer gives each silo the queues of its ranges.
/// </summary>
public sealed class LogQueueMapper(string name, int partitionCount) : IConsistentRingStreamQueueMapper
{
    private readonly QueueId[] queues = [.. Enumerable.Range(0, partitionCount)
        .Select(p => QueueId.GetQueueId(name, (uint)p, (uint)((ulong)p * uint.MaxValue / (ulong)partitionCount)))];

    public IEnumerable<QueueId> GetAllQueues() => queues;

    public IEnumerable<QueueId> GetQueuesForRange(IRingRange range) => queues.Where(q => range.InRange(q.GetUniformHashCode()));

    public QueueId GetQueueForStream(StreamId streamId) => queues[LogStreams.PartitionOf(streamId)];

    public static int PartitionOf(QueueId queue) => (int)queue.GetNumericId();
}

internal sealed class LogQueueAdapter(string name, IServiceProvider services) : IQueueAdapter
{
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadOnly;

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext) =>
        throw new NotSupportedException("entries join the committed log by being committed, not by being produced to its stream");

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => new LogQueueReceiver(
        name,
        LogQueueMapper.PartitionOf(queueId),
        services.GetRequiredService<LogStore>(),
        services.GetRequiredService<CommittedHeads>(),
        services.GetRequiredService<StreamCheckpoints>(),
        services.GetRequiredService<IOptions<StreamOptions>>().Value,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<LogQueueReceiver>>());
}
