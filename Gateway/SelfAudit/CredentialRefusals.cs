using Microsoft.Extensions.Options;

namespace Argus.Gateway.SelfAudit;

/// <summary>
/// Counts refused credentials per remote address and records them once per address per
/// <see cref="SelfAuditOptions.RefusalWindow"/>, with the count: a caller sending bad credentials
/// as fast as it can causes one entry a window, not one per request. At most
/// <see cref="SelfAuditOptions.MaxRefusalAddresses"/> addresses are told apart in a window; the
/// refusals from any further address are counted together (address <c>other</c>).
/// </summary>
public sealed class CredentialRefusals(SelfAuditLog log, IOptions<SelfAuditOptions> options, TimeProvider time) : BackgroundService
{
    public const string OtherAddresses = "other";

    private readonly Lock gate = new();
    private Dictionary<string, long> counts = new(StringComparer.Ordinal);
    private DateTimeOffset windowStart = time.GetUtcNow();

    /// <summary>Counts one refusal from <paramref name="address"/> (null: unknown). Cheap, and never waits on anything.</summary>
    public void Refused(string? address)
    {
        if (!log.Enabled)
        {
            return;
        }

        var key = address ?? OtherAddresses;
        lock (gate)
        {
            if (counts.TryGetValue(key, out var count))
            {
                counts[key] = count + 1;
            }
            else if (counts.Count < options.Value.MaxRefusalAddresses)
            {
                counts[key] = 1;
            }
            else
            {
                counts[OtherAddresses] = counts.GetValueOrDefault(OtherAddresses) + 1;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!log.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.RefusalWindow, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Flush();
        }
    }

    private void Flush()
    {
        Dictionary<string, long> window;
        DateTimeOffset from;
        var until = time.GetUtcNow();
        lock (gate)
        {
            if (counts.Count == 0)
            {
                windowStart = until;
                return;
            }

            window = counts;
            from = windowStart;
            counts = new Dictionary<string, long>(StringComparer.Ordinal);
            windowStart = until;
        }

        foreach (var (address, count) in window)
        {
            log.Record(SelfAuditEntries.Refused(address, count, from, until, time));
        }
    }
}
