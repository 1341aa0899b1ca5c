using Argus.Grains.Storage;
using Argus.Grains.Streams;
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
/// <remarks>A single silo takes every partition it can lock.</remarks>
internal sealed partial class PartitionOwnership(
    LockConnectionSource lockConnections,
    PartitionStreams streams,
    SiloState state,
    IOptions<SiloOptions> options,
    TimeProvider time,
    ILogger<PartitionOwnership> logger) : BackgroundService
{
    private readonly SiloOptions options = options.Value;
    private NpgsqlConnection? lockConnection;

    /// <summary>Partitions this silo currently owns.</summary>
    public IReadOnlyList<int> Owned => streams.All.Where(s => s.IsOwned).Select(s => s.Partition).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await AcquireAsync(stoppingToken);
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

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        lockConnection ??= await lockConnections.OpenAsync(cancellationToken);
        var wanted = streams.All.Where(s => !s.IsOwned).Select(s => s.Partition).ToArray();
        if (wanted.Length == 0)
        {
            return;
        }

        // Lock every wanted partition that is free; the others belong to another silo for now.
        var acquired = new List<int>();
        await using (var take = new NpgsqlCommand(
            "SELECT p FROM unnest($1::integer[]) AS p WHERE pg_try_advisory_lock($2, p)", lockConnection))
        {
            take.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = wanted });
            take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = AdvisoryLocks.Space });
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                acquired.Add(reader.GetInt32(0));
            }
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

        if (acquired.Count > 0)
        {
            state.OwnershipChanged();
            LogAcquired(options.SiloId, acquired.Count, streams.PartitionCount);
        }
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

            await AcquireAsync(cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} took {Owned} of {Total} partitions")]
    private partial void LogAcquired(string siloId, int owned, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition lock connection lost; all partitions revoked until it is back: {Reason}")]
    private partial void LogLockConnectionLost(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} released its partitions")]
    private partial void LogReleased(string siloId);
}
