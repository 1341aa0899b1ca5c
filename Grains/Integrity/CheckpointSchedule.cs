using Argus.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Integrity;

/// <summary>
/// A silo's part in making a heads checkpoint every <see cref="IntegrityOptions.CheckpointInterval"/>:
/// from its start, it asks <see cref="HeadsCheckpoints"/> for one whenever the newest will be an
/// interval old, and sleeps until then (on <see cref="TimeProvider"/>, so tests drive it). Every
/// silo does; whichever comes first makes it and the others find it made. Nothing runs without a
/// signing key.
/// </summary>
public sealed partial class CheckpointSchedule(
    HeadsCheckpoints checkpoints, IOptions<IntegrityOptions> options, TimeProvider time, ILogger<CheckpointSchedule> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The shortest sleep: after a failure, or when the next one is due already.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(1);

    /// <summary>How soon a failed attempt is tried again (or sooner, with a short interval).</summary>
    private static readonly TimeSpan RetryWait = TimeSpan.FromMinutes(1);

    private TaskCompletionSource<TimeSpan> parked = NewSignal();
    private readonly Streaming.BackgroundLoop loop = new();

    /// <summary>Completes, with how long it will sleep, when the loop next goes to sleep: a barrier for tests.</summary>
    internal Task<TimeSpan> NextSleep => Volatile.Read(ref parked).Task;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CheckpointSchedule), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    internal Task StartAsync(CancellationToken cancellationToken)
    {
        if (checkpoints.CanSign)
        {
            loop.Start(RunAsync);
        }

        return Task.CompletedTask;
    }

    internal Task StopAsync(CancellationToken cancellationToken) => loop.StopAsync(cancellationToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.CheckpointInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var (_, nextDue) = await checkpoints.MakeIfDueAsync(cancellationToken);
                wait = nextDue - time.GetUtcNow();
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

                wait = RetryWait;
            }

            wait = wait < MinimumWait ? MinimumWait : wait > interval ? interval : wait;
            Interlocked.Exchange(ref parked, NewSignal()).TrySetResult(wait);
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

    private static TaskCompletionSource<TimeSpan> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No heads checkpoint could be made, Postgres is unreachable: {Reason}")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Making a heads checkpoint failed")]
    private partial void LogFailed(Exception e);
}
