using System.Threading.Channels;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions.Streaming;
using Argus.Grains.Options;
using Argus.Grains.Partitions;
using Argus.Grains.Storage;
using Argus.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;

namespace Argus.Grains.Writing;

/// <summary>
/// The silo's one group-commit writer. While a commit is in flight, entries of every trace and
/// every partition owned on this silo pile up in their partition logs; the next commit takes all
/// of them in one round trip. Batches therefore grow with load on their own, with no linger timer
/// adding latency. Callers are answered only after the commit: an acknowledgement is durable.
/// </summary>
/// <remarks>
/// It runs from the silo's application-services stage: on shutdown it stops only after the
/// partition owners have been deactivated, and it answers every entry they accepted first.
/// </remarks>
public sealed partial class AuditLogWriter : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Channel<PartitionLog> dirty = Channel.CreateUnbounded<PartitionLog>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly AuditStore store;
    private readonly WriterOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<AuditLogWriter> logger;
    private readonly Streaming.CommittedHeads heads;
    private readonly ArgusMetrics metrics;
    private readonly CommitBatch rows = new();
    private readonly List<(int Partition, long Seq, PendingAppend Pending)> committed = [];
    private readonly CancellationTokenSource stopping = new();
    private Task loop = Task.CompletedTask;
    private int pendingCount;
    private long refusedCount;

    public AuditLogWriter(
        AuditStore store, IOptions<WriterOptions> options, TimeProvider time, ILogger<AuditLogWriter> logger, Streaming.CommittedHeads heads, ArgusMetrics metrics)
    {
        this.heads = heads;
        this.metrics = metrics;
        metrics.Meter.CreateObservableGauge("argus.pending.entries", () => PendingEntries, "{entry}", "Entries accepted by this silo and not yet answered");
        this.store = store;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>Entries accepted and not yet answered. Bounded by <see cref="WriterOptions.MaxPendingEntries"/>.</summary>
    public int PendingEntries => Volatile.Read(ref pendingCount);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(AuditLogWriter), ServiceLifecycleStage.ApplicationServices, Start, StopAsync);

    internal void Signal(PartitionLog log) => dirty.Writer.TryWrite(log);

    /// <summary>Entries refused so far because the silo's buffers were full.</summary>
    public long RefusedEntries => Interlocked.Read(ref refusedCount);

    /// <summary>Reserves room for one entry; false when the silo's buffers are full.</summary>
    internal bool TryReserve()
    {
        if (Interlocked.Increment(ref pendingCount) <= options.MaxPendingEntries)
        {
            return true;
        }

        Interlocked.Decrement(ref pendingCount);
        Interlocked.Increment(ref refusedCount);
        return false;
    }

    internal void Release(int count) => Interlocked.Add(ref pendingCount, -count);

    private Task Start(CancellationToken cancellationToken)
    {
        loop = Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Lets the loop answer every accepted entry, unless the stop is no longer graceful.</summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        try
        {
            await loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogAbandoned(PendingEntries);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        // Commits are spans of their own, linked to the requests they answer: never a child of whatever started the silo.
        System.Diagnostics.Activity.Current = null;
        var batch = new List<PendingAppend>(options.MaxBatchEntries);
        var carried = new List<PartitionLog>();
        var reader = dirty.Reader;
        while (true)
        {
            if (!reader.TryPeek(out _))
            {
                // On shutdown keep going until every accepted entry has been answered.
                if (stoppingToken.IsCancellationRequested && PendingEntries == 0)
                {
                    return;
                }

                try
                {
                    await reader.WaitToReadAsync(stoppingToken.IsCancellationRequested ? CancellationToken.None : stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }
            }

            batch.Clear();
            while (batch.Count < options.MaxBatchEntries && reader.TryRead(out var log))
            {
                if (log.Drain(batch, options.MaxBatchEntries - batch.Count))
                {
                    carried.Add(log);
                }
            }

            foreach (var log in carried)
            {
                dirty.Writer.TryWrite(log);
            }

            carried.Clear();
            if (batch.Count > 0)
            {
                await CommitOrAnswerAsync(batch);
            }
        }
    }

    /// <summary>Commits a batch; an unexpected failure still answers every caller instead of leaving it waiting.</summary>
    private async Task CommitOrAnswerAsync(List<PendingAppend> batch)
    {
        try
        {
            await CommitAsync(batch);
        }
        catch (Exception e)
        {
            LogUnexpected(batch.Count, e);
            foreach (var pending in batch)
            {
                Complete(pending, AppendResult.Failed(AppendStatus.Unavailable, "the entry could not be stored; retry with the same Idempotency-Key"));
            }
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch)
    {
        using var span = ArgusTracing.StartCommit(batch, pending => pending.Caller);
        var work = SetAsideRepeatedIds(batch, out var followers);
        await CommitWithRetriesAsync(work);
        if (span is not null && batch.Exists(pending => pending.Outcome is { IsCompletedSuccessfully: true, Result.IsSuccess: false }))
        {
            span.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "some entries were not stored");
        }

        foreach (var (leader, follower) in followers)
        {
            var outcome = await leader.Outcome;
            Complete(follower, outcome.IsSuccess
                ? follower.Entry.SameEventAs(outcome.Entry!) ? AppendResult.Replayed(outcome.Entry!) : Conflict(follower.Entry)
                : outcome);
        }
    }

    /// <summary>
    /// A caller that retries while its first attempt is still waiting puts the same id in the batch
    /// twice. Only the first goes to storage; the repeat is answered with its outcome.
    /// </summary>
    private static List<PendingAppend> SetAsideRepeatedIds(List<PendingAppend> batch, out List<(PendingAppend Leader, PendingAppend Follower)> followers)
    {
        followers = [];
        var leaders = new Dictionary<Guid, PendingAppend>(batch.Count);
        var work = new List<PendingAppend>(batch.Count);
        foreach (var pending in batch)
        {
            if (leaders.TryGetValue(pending.Entry.Id, out var leader))
            {
                followers.Add((leader, pending));
            }
            else
            {
                leaders.Add(pending.Entry.Id, pending);
                work.Add(pending);
            }
        }

        return work;
    }

    private async Task CommitWithRetriesAsync(List<PendingAppend> work)
    {
        var started = time.GetTimestamp();
        var attempt = 0;
        var fenceFailures = 0;
        var step = Step.Commit;
        while (true)
        {
            work.RemoveAll(pending => pending.IsCompleted);
            if (work.Count == 0)
            {
                return;
            }

            try
            {
                switch (step)
                {
                    case Step.Commit:
                        await CommitOnceAsync(work);
                        return;
                    case Step.ResolveDuplicates:
                        await ResolveDuplicatesAsync(work);
                        break;
                    case Step.ResyncFences:
                        await ResyncFencesAsync(work);
                        break;
                }

                step = Step.Commit;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == AuditStore.PrimaryKeyConstraint)
            {
                step = Step.ResolveDuplicates;
            }
            catch (PostgresException e) when (MonthPartitions.IsMissingMonth(e))
            {
                // A month was dropped (retention) after this silo saw it: made again on the next attempt.
                store.Months.Forget();
                if (!await BackOffAsync(work, started, attempt++, e))
                {
                    return;
                }
            }
            catch (PostgresException e) when (e.SqlState == AuditStore.FenceFailedState)
            {
                LogFenceFailed(e.MessageText);
                step = Step.ResyncFences;

                // One resync settles a lost answer or a new owner; if fences keep failing, back off.
                if (fenceFailures++ > 0 && !await BackOffAsync(work, started, attempt++, e))
                {
                    return;
                }
            }
            catch (PostgresException e) when (IsContentError(e))
            {
                await IsolateAsync(work, e);
                return;
            }
            catch (PostgresException e) when (!e.IsTransient)
            {
                // Not a passing condition (a schema out of step, a permission): retrying cannot help.
                LogUnexpected(work.Count, e);
                foreach (var pending in work)
                {
                    Complete(pending, AppendResult.Failed(AppendStatus.Unavailable, "storage refused the commit; see the node's log"));
                }

                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
            {
                if (!await BackOffAsync(work, started, attempt++, e))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Waits before the next attempt; false (with every caller told Unavailable) once the commit timeout is spent.</summary>
    private async Task<bool> BackOffAsync(List<PendingAppend> work, long started, int attempt, Exception error)
    {
        if (time.GetElapsedTime(started) >= options.CommitTimeout)
        {
            LogGaveUp(work.Count, error);
            foreach (var pending in work)
            {
                Complete(pending, AppendResult.Failed(AppendStatus.Unavailable, "storage is unavailable; the entry may not be stored, retry with the same Idempotency-Key"));
            }

            return false;
        }

        LogRetrying(work.Count, attempt + 1, error.Message);
        await Task.Delay(Backoff(attempt), time);
        return true;
    }

    private enum Step
    {
        Commit,
        ResolveDuplicates,
        ResyncFences,
    }

    private async Task CommitOnceAsync(List<PendingAppend> work)
    {
        // Entries of a partition that is no longer owned go back to their callers to be re-routed.
        var leases = new Dictionary<PartitionLog, (PartitionLease Lease, long Next, byte[] Head)>();
        foreach (var pending in work)
        {
            if (!leases.ContainsKey(pending.Log) && pending.Log.Lease is { } lease)
            {
                leases.Add(pending.Log, (lease, lease.LastSeq, lease.LastHash));
            }
        }

        rows.Clear();
        rows.CreatedAt = Rfc3339.TruncateToMicroseconds(time.GetUtcNow());
        committed.Clear();
        foreach (var pending in work)
        {
            if (!leases.TryGetValue(pending.Log, out var position))
            {
                Complete(pending, AppendResult.Failed(AppendStatus.NotOwner, $"partition {pending.Log.Partition} has a new owner; send the entry again"));
                continue;
            }

            // The chain is computed here, under the lease: the fence admits this commit only at the
            // position (and so after the hash) it was computed from.
            var seq = position.Next + 1;
            var hash = rows.Add(pending.Entry, pending.Log.Partition, seq, position.Head);
            leases[pending.Log] = (position.Lease, seq, hash);
            committed.Add((pending.Log.Partition, seq, pending));
        }

        if (rows.Count == 0)
        {
            return;
        }

        foreach (var (log, (lease, last, head)) in leases)
        {
            rows.AddFence(log.Partition, lease.Epoch, lease.LastSeq, last, head);
        }

        var started = time.GetTimestamp();
        await store.CommitAsync(rows, CancellationToken.None);
        metrics.Committed(rows.Count, time.GetElapsedTime(started));

        foreach (var (_, (lease, last, head)) in leases)
        {
            lease.LastSeq = last;
            lease.LastHash = head;
        }

        // Each stored entry is made once: its writer's answer, and what the committed log's receivers on
        // this silo take from memory without waiting for the heads' next read.
        var createdAt = rows.CreatedAt;
        foreach (var partition in committed.GroupBy(c => c.Partition))
        {
            var entries = partition.Select(c => c.Pending.Entry with { CreatedAt = createdAt }).ToArray();
            heads.Committed(new LogSlice(partition.Key, [.. partition.Select(c => c.Seq)], entries, partition.Last().Seq));
            var i = 0;
            foreach (var (_, _, pending) in partition)
            {
                Complete(pending, AppendResult.Stored(entries[i++]));
            }
        }
    }

    /// <summary>Answers the entries already stored (a retry of an earlier request, or of our own ambiguous commit).</summary>
    private async Task ResolveDuplicatesAsync(List<PendingAppend> work)
    {
        var stored = await store.FindAsync(work.Select(p => p.Entry.Id).ToList(), AccessScope.Unrestricted, CancellationToken.None);
        foreach (var pending in work)
        {
            if (stored.TryGetValue(pending.Entry.Id, out var original))
            {
                Complete(pending, pending.Entry.SameEventAs(original) ? AppendResult.Replayed(original) : Conflict(pending.Entry));
            }
        }
    }

    /// <summary>
    /// After a fence failed: a partition whose epoch moved has a new owner (another activation took
    /// it over), so its lease is revoked and its entries go back to their callers; a partition whose
    /// position moved under our own epoch was advanced by a commit of ours whose answer was lost, so
    /// the position is taken over.
    /// </summary>
    private async Task ResyncFencesAsync(List<PendingAppend> work)
    {
        var logs = work.Select(p => p.Log).Distinct().ToList();
        var fences = await store.ReadFencesAsync(logs.Select(l => l.Partition).ToList(), CancellationToken.None);
        foreach (var log in logs)
        {
            if (log.Lease is not { } lease)
            {
                continue;
            }

            var (epoch, lastSeq, head) = fences[log.Partition];
            if (epoch != lease.Epoch)
            {
                LogOwnershipLost(log.Partition, lease.Epoch, epoch);
                log.Revoke();
            }
            else
            {
                lease.LastSeq = lastSeq;
                lease.LastHash = head;
            }
        }
    }

    /// <summary>Postgres refused some entry's content: commit one by one so only the offending entries fail.</summary>
    private async Task IsolateAsync(List<PendingAppend> work, PostgresException error)
    {
        if (work.Count == 1)
        {
            LogRejected(work[0].Entry.Id, error.SqlState, error.MessageText);
            Complete(work[0], AppendResult.Failed(AppendStatus.Rejected, "storage refused the entry: " + error.MessageText));
            return;
        }

        foreach (var pending in work.ToList())
        {
            await CommitWithRetriesAsync([pending]);
        }
    }

    /// <summary>Answers a caller once and frees its reservation.</summary>
    internal void Complete(PendingAppend pending, AppendResult result)
    {
        if (pending.Complete(result))
        {
            Release(1);
            pending.Log.Answered();
        }
    }

    private static AppendResult Conflict(AuditEntry entry) => AppendResult.Failed(
        AppendStatus.Conflict,
        $"entry {entry.Id} was already stored with different content; an Idempotency-Key must not be reused for another event");

    /// <summary>Data exceptions (22xxx), constraint violations other than ours (23xxx), program limits (54xxx).</summary>
    private static bool IsContentError(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal)
        || e.SqlState.StartsWith("23", StringComparison.Ordinal)
        || e.SqlState.StartsWith("54", StringComparison.Ordinal);

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(1000, 25 * (1 << Math.Min(attempt, 6))));

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure committing {Count} entries; their callers are told to retry")]
    private partial void LogUnexpected(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Commit of {Count} entries failed (attempt {Attempt}), retrying: {Reason}")]
    private partial void LogRetrying(int count, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up committing {Count} entries; their callers are told storage is unavailable")]
    private partial void LogGaveUp(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition fence did not hold: {Reason}")]
    private partial void LogFenceFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition} has a new owner (epoch {Mine} -> {Current}); its entries go back to their callers")]
    private partial void LogOwnershipLost(int partition, long mine, long current);

    [LoggerMessage(Level = LogLevel.Error, Message = "The silo stopped without waiting for {Count} entries to be answered")]
    private partial void LogAbandoned(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage refused entry {Id} ({SqlState}): {Reason}")]
    private partial void LogRejected(Guid id, string sqlState, string reason);
}
