using System.Collections.Frozen;
using Argus.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Security;

/// <summary>
/// The API keys that work, held in memory on every node and reloaded from Postgres every
/// <see cref="AuthOptions.KeyRefreshInterval"/> (2 s): a presented key is checked without a round
/// trip, and a revoked key stops working on every node within that interval. A key not found
/// triggers a reload (callers missing together share it, and reloads keep a quarter of a second
/// apart), so a key made a moment ago works at its first use while unknown keys cannot drive
/// Postgres harder than four reads a second. If Postgres cannot be reached the last keys read
/// stay in force; a key they do not hold is answered 503, not 401, since it may be one made since
/// (a client must not be told its key is invalid when it could not be checked).
/// </summary>
public sealed partial class ApiKeyRing(ApiKeyStore store, IOptions<AuthOptions> options, TimeProvider time, ILogger<ApiKeyRing> logger)
    : BackgroundService
{
    private static readonly TimeSpan MinReloadGap = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim reloading = new(1, 1);
    private volatile Snapshot? current;
    private volatile bool lastReloadFailed;

    /// <summary>The working key whose hash is <paramref name="keyHash"/>, or null.</summary>
    /// <exception cref="CredentialsUnavailableException">No keys could be read yet.</exception>
    public async ValueTask<ApiKeyRecord?> FindAsync(byte[] keyHash, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexString(keyHash);
        var snapshot = current;
        if (snapshot is not null && snapshot.Keys.TryGetValue(id, out var found))
        {
            return found;
        }

        if (snapshot is not null && MinReloadGap - time.GetElapsedTime(snapshot.ReadAt) is { Ticks: > 0 } wait)
        {
            // Read very recently: this key may be newer still, so look again, but not sooner than the gap.
            await Task.Delay(wait, time, cancellationToken);
        }

        snapshot = await ReloadAsync(snapshot, cancellationToken);
        if (snapshot is not null && snapshot.Keys.TryGetValue(id, out found))
        {
            return found;
        }

        return snapshot is null || lastReloadFailed
            ? throw new CredentialsUnavailableException("API keys cannot be read: Postgres is unreachable")
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.KeyRefreshInterval, time);
        do
        {
            await ReloadAsync(null, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Reads the keys unless another caller did since <paramref name="seen"/>; the latest snapshot either way (null if none could be read yet).</summary>
    private async Task<Snapshot?> ReloadAsync(Snapshot? seen, CancellationToken cancellationToken)
    {
        await reloading.WaitAsync(cancellationToken);
        try
        {
            if (seen is not null && !ReferenceEquals(current, seen))
            {
                return current;
            }

            var readAt = time.GetTimestamp();
            var keys = await store.ListActiveAsync(cancellationToken);
            current = new Snapshot(keys.ToFrozenDictionary(k => Convert.ToHexString(k.KeyHash), StringComparer.Ordinal), readAt);
            lastReloadFailed = false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            lastReloadFailed = true;
            LogReloadFailed(e);
        }
        finally
        {
            reloading.Release();
        }

        return current;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the API keys failed; the keys read last stay in force")]
    private partial void LogReloadFailed(Exception exception);

    private sealed record Snapshot(FrozenDictionary<string, ApiKeyRecord> Keys, long ReadAt);
}
