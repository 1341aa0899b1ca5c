using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Argus.Silo.Membership;
using Argus.Silo.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Argus.Silo.Partitions;

/// <summary>
/// Which partitions this silo may write. A partition is owned while this silo holds its
/// Postgres advisory lock on one dedicated, unpooled connection; taking it bumps the partition's
/// epoch, which fences out any former owner's flushes. When the connection is lost the locks
/// are gone, so every stream stops writing at once and ownership is taken again from scratch.
/// </summary>
/// <remarks>
/// Balancing: every live silo aims at ceil(P / live silos) partitions. On each tick a silo below
/// its target locks free partitions; one above it stops writing its extras, lets the commit in
/// flight finish, and unlocks them for the others. A single silo owns every partition.
/// </remarks>
internal sealed partial class PartitionOwnership(
    LockConnectionSource lockConnections,
    PartitionStreams streams,
    SiloMembership membership,
    AuditLogWriter writer,
    SiloState state,
    IOptions<SiloOptions> options,
    TimeProvider time,
    ILogger<PartitionOwnership> logger) : BackgroundService
{
    private readonly SiloOptions options = options.Value;
    private NpgsqlConnection? lockConnection;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await BalanceAsync(stoppingToken);
                await membership.MarkActiveAsync(stoppingToken);
                failures = 0;
                await MonitorAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                LogLockConnectionLost(e.Message);
                RevokeAll();
                await CloseLockConnectionAsync();
                var delay = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * (1 << Math.Min(failures++, 5))));
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        RevokeAll();
        await CloseLockConnectionAsync();
        LogReleased(options.SiloId);
    }

    /// <summary>Moves this silo's share of partitions toward ceil(P / live silos).</summary>
    private async Task BalanceAsync(CancellationToken cancellationToken)
    {
        lockConnection ??= await lockConnections.OpenAsync(cancellationToken);
        if (membership.IsDeclaredDead)
        {
            return;
        }

        int live;
        try
        {
            live = await membership.CountLiveAsync(cancellationToken);
        }
        catch (NpgsqlException)
        {
            return; // the membership read failed, not the locks: keep what is owned, try again next tick
        }

        var target = (streams.PartitionCount + live - 1) / live;
        var owned = streams.All.Count(s => s.IsOwned);
        if (owned < target)
        {
            await AcquireAsync(target - owned, cancellationToken);
        }
        else if (owned > target)
        {
            await ReleaseAsync(owned - target, cancellationToken);
        }
    }

    private async Task AcquireAsync(int wanted, CancellationToken cancellationToken)
    {
        // Try the free-looking partitions in a random order, so silos joining together spread out.
        var candidates = streams.All.Where(s => !s.IsOwned).Select(s => s.Partition).ToArray();
        Random.Shared.Shuffle(candidates);
        var acquired = new List<int>();
        await using (var take = new NpgsqlCommand(
            "SELECT p FROM unnest($1::integer[]) AS p WHERE pg_try_advisory_lock($2, p) LIMIT $3", lockConnection))
        {
            take.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = candidates });
            take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = AdvisoryLocks.Space });
            take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = wanted });
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                acquired.Add(reader.GetInt32(0));
            }
        }

        if (acquired.Count == 0)
        {
            return;
        }

        // Bumping the epoch is what fences out the previous owner's in-flight flushes.
        await using (var bump = new NpgsqlCommand(
            "UPDATE argus_partitions SET epoch = epoch + 1, owner = $1, owned_since = now() " +
            "WHERE partition_id = ANY($2) RETURNING partition_id, epoch, last_seq", lockConnection))
        {
            bump.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.SiloId });
            bump.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = acquired.ToArray() });
            await using var reader = await bump.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var partition = reader.GetInt32(0);
                streams[partition].Grant(new PartitionLease(partition, reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        state.OwnershipChanged();
        LogAcquired(options.SiloId, acquired.Count, streams.All.Count(s => s.IsOwned), streams.PartitionCount);
    }

    /// <summary>Hands partitions back: stop writing them, let the commit in flight finish, then unlock.</summary>
    private async Task ReleaseAsync(int count, CancellationToken cancellationToken)
    {
        var released = streams.All.Where(s => s.IsOwned).OrderByDescending(s => s.Partition).Take(count).ToList();
        foreach (var stream in released)
        {
            stream.Revoke();
        }

        state.OwnershipChanged();
        await writer.CurrentCommit;
        // Clear the directory's owner first, so callers wait for the next owner instead of asking us.
        var partitions = released.Select(s => s.Partition).ToArray();
        await using (var disown = new NpgsqlCommand("UPDATE argus_partitions SET owner = NULL WHERE partition_id = ANY($1) AND owner = $2", lockConnection))
        {
            disown.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions });
            disown.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.SiloId });
            await disown.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($2, p) FROM unnest($1::integer[]) AS p", lockConnection);
        unlock.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions });
        unlock.Parameters.Add(new NpgsqlParameter<int> { TypedValue = AdvisoryLocks.Space });
        await unlock.ExecuteNonQueryAsync(cancellationToken);
        LogReleasedExtras(options.SiloId, released.Count, streams.All.Count(s => s.IsOwned));
    }

    /// <summary>
    /// Checks the lock connection on every tick and takes any partition that has become free.
    /// Returns (by throwing) only when the lock connection stops answering.
    /// </summary>
    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.OwnershipCheckInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.OwnershipCheckInterval * 3);
            await using var ping = new NpgsqlCommand("SELECT 1", lockConnection);
            try
            {
                await ping.ExecuteScalarAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("the partition lock connection did not answer in time");
            }

            await BalanceAsync(cancellationToken);
        }
    }

    private void RevokeAll()
    {
        foreach (var stream in streams.All)
        {
            stream.Revoke();
        }

        state.OwnershipChanged();
    }

    private async Task CloseLockConnectionAsync()
    {
        if (lockConnection is { } connection)
        {
            lockConnection = null;
            await connection.DisposeAsync(); // unpooled: closing it releases every lock it held
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} took {Taken} partitions and owns {Owned} of {Total}")]
    private partial void LogAcquired(string siloId, int taken, int owned, int total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} released {Released} partitions to balance the cluster and owns {Owned}")]
    private partial void LogReleasedExtras(string siloId, int released, int owned);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition lock connection lost; all partitions revoked until it is back: {Reason}")]
    private partial void LogLockConnectionLost(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} released its partitions")]
    private partial void LogReleased(string siloId);
}
