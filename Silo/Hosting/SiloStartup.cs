using Argus.Grains;
using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Argus.Silo.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Silo.Hosting;

/// <summary>
/// First thing a silo does: bring the schema up to date, learn the cluster's partition count
/// and its cursor key, and create the partition streams. Runs to completion before anything else starts.
/// </summary>
internal sealed partial class SiloStartup(
    SchemaMigrator migrator,
    AuditStore store,
    PartitionStreams streams,
    PageCursors cursors,
    SiloState state,
    IOptions<SiloOptions> options,
    TimeProvider time,
    ILogger<SiloStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Postgres may come up after Argus (compose, Kubernetes): wait for it rather than exit.
        int partitions;
        var configured = options.Value.PartitionCount;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken);
                partitions = await store.EnsureClusterAsync(configured, cancellationToken);
                cursors.UseKey(await store.EnsureCursorKeyAsync(cancellationToken));
                break;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException)
            {
                LogWaitingForPostgres(attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), time, cancellationToken);
            }
        }

        if (partitions != configured)
        {
            LogPartitionCountFixed(configured, partitions);
        }

        streams.Initialize(partitions);
        state.MarkStarted();
        LogStarted(options.Value.SiloId, partitions);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Postgres is not reachable yet (attempt {Attempt}): {Reason}")]
    private partial void LogWaitingForPostgres(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configured partition count {Configured} ignored: the cluster was created with {Actual} partitions")]
    private partial void LogPartitionCountFixed(int configured, int actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} started; the cluster has {Partitions} partitions")]
    private partial void LogStarted(string siloId, int partitions);
}
