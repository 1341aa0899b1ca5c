using System.Collections.Concurrent;
using Argus.Grains.Abstractions;

namespace Argus.Grains.Partitions;

/// <summary>
/// The partitions whose owner is active on this silo, and the cluster's partition count (known
/// once the silo has read its schema). Owners register here on activation and leave on
/// deactivation; every change completes <see cref="NextChange"/>, so waiting needs no polling.
/// </summary>
public sealed class LocalPartitions : ILocalOwners
{
    private readonly ConcurrentDictionary<int, PartitionLog> owned = new();
    private TaskCompletionSource changed = NewSignal();
    private volatile int partitionCount;

    public LocalPartitions(Telemetry.ArgusMetrics metrics) =>
        metrics.Meter.CreateObservableGauge("argus.owned.partitions", () => owned.Count, "{partition}", "Partitions whose owner is active on this silo");

    /// <summary>The cluster's partition count; 0 until the silo has started.</summary>
    public int PartitionCount => partitionCount;

    /// <summary>True once the schema is in place and the partition count known.</summary>
    public bool IsReady => partitionCount > 0;

    /// <summary>Partitions owned here, in ascending order.</summary>
    public IReadOnlyList<int> Owned => owned.Keys.Order().ToList();

    /// <summary>Completes at the next change of the partitions owned here.</summary>
    public Task NextChange => Volatile.Read(ref changed).Task;

    public Task<AppendResult>? TryAppend(int partition, AuditEntry entry) =>
        owned.TryGetValue(partition, out var log) && log.Lease is not null ? log.AppendAsync(entry) : null;

    public bool IsOwned(int partition) => owned.TryGetValue(partition, out var log) && log.Lease is not null;

    public void Initialize(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (Interlocked.CompareExchange(ref partitionCount, count, 0) is not 0 and var existing && existing != count)
        {
            throw new InvalidOperationException($"The partition count is already {existing}.");
        }

        Changed();
    }

    internal void Add(PartitionLog log)
    {
        owned[log.Partition] = log;
        Changed();
    }

    internal void Remove(PartitionLog log)
    {
        if (owned.TryRemove(new KeyValuePair<int, PartitionLog>(log.Partition, log)))
        {
            Changed();
        }
    }

    internal void Changed() => Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
