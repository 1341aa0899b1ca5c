using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Retention;

/// <summary>
/// Runs <see cref="PartitionMaintenance"/> when the silo starts and then every
/// <see cref="RetentionOptions.MaintenanceInterval"/>. Every silo does; a run finding another under
/// way leaves it to that one. A failed run is tried again within a minute.
/// </summary>
public sealed partial class MaintenanceSchedule(
    PartitionMaintenance maintenance, IOptions<RetentionOptions> options, TimeProvider time, ILogger<MaintenanceSchedule> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan RetryWait = TimeSpan.FromMinutes(1);

    private readonly Streaming.BackgroundLoop loop = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MaintenanceSchedule), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        loop.Start(RunAsync);
        return Task.CompletedTask;
    }

    private Task StopAsync(CancellationToken cancellationToken) => loop.StopAsync(cancellationToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.MaintenanceInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = interval;
            try
            {
                var report = await maintenance.RunAsync(wait: false, cancellationToken);
                if (report.Interrupted)
                {
                    wait = RetryWait < interval ? RetryWait : interval;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (StorageFailures.IsUnavailable(e))
                {
                    LogUnavailable(e.Message);
                }
                else
                {
                    LogFailed(e);
                }

                wait = RetryWait < interval ? RetryWait : interval;
            }

            try
            {
                await Task.Delay(wait, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maintenance could not run, Postgres is unreachable (tried again in a minute): {Reason}")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Maintenance failed (tried again in a minute)")]
    private partial void LogFailed(Exception e);
}
