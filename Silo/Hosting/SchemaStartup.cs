using Argus.Grains;
using Argus.Grains.Partitions;
using Argus.Grains.Storage;
using Argus.Silo.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Argus.Silo.Hosting;

/// <summary>
/// First thing a silo does, before it joins the membership (whose table the schema holds): bring
/// the schema up to date, learn the cluster's partition count and its cursor key.
/// </summary>
internal sealed partial class SchemaStartup(
    SchemaMigrator migrator,
    AuditStore store,
    LocalPartitions partitions,
    PageCursors cursors,
    IOptions<SiloOptions> options,
    TimeProvider time,
    ILogger<SchemaStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchemaStartup), ServiceLifecycleStage.RuntimeInitialize, StartAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        // Postgres may come up after Argus (compose, Kubernetes): wait for it rather than exit.
        int partitionCount;
        var configured = options.Value.PartitionCount;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken);
                partitionCount = await store.EnsureClusterAsync(configured, cancellationToken);
                cursors.UseKey(await store.EnsureCursorKeyAsync(cancellationToken));
                break;
            }
            catch (Exception e) when (StorageFailures.IsUnavailable(e) || e is System.Net.Sockets.SocketException)
            {
                LogWaitingForPostgres(attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), time, cancellationToken);
            }
        }

        if (partitionCount != configured)
        {
            LogPartitionCountFixed(configured, partitionCount);
        }

        partitions.Initialize(partitionCount);
        LogStarted(options.Value.Name, partitionCount);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Postgres is not reachable yet (attempt {Attempt}): {Reason}")]
    private partial void LogWaitingForPostgres(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configured partition count {Configured} ignored: the cluster was created with {Actual} partitions")]
    private partial void LogPartitionCountFixed(int configured, int actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Name}: schema ready, the cluster has {Partitions} partitions")]
    private partial void LogStarted(string name, int partitions);
}
