using Argus.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.SelfAudit;

/// <summary>
/// Records the creation and revocation of API keys. The admin endpoints hand over each change as
/// they make it; besides, every <see cref="SelfAuditOptions.KeySweepInterval"/> each node looks for
/// changes whose entry is not stored yet (made by <c>keys</c> on the command line, possibly while
/// no node ran, or whose append failed) and records them. An entry's id follows from the change,
/// so nodes recording the same change at once store one entry.
/// </summary>
public sealed partial class KeyChangeRecorder(
    ApiKeyStore keys, SelfAuditLog log, IOptions<SelfAuditOptions> options, TimeProvider time, ILogger<KeyChangeRecorder> logger) : BackgroundService
{
    public void Record(ApiKeyRecord key, ApiKeyChange change) =>
        log.Record(SelfAuditEntries.KeyChange(key, change), ct => keys.MarkRecordedAsync(key.Name, change, ct));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.KeySweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var key in await keys.ListUnrecordedAsync(100, stoppingToken))
                {
                    Record(key, ApiKeyChange.Created);
                    if (key.RevokedAt is not null)
                    {
                        Record(key, ApiKeyChange.Revoked);
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for key changes to record failed; trying again at the next sweep")]
    private partial void LogSweepFailed(Exception exception);
}
