using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Integrity;

/// <summary>
/// The key this process signs checkpoints with: read from <see cref="IntegrityOptions.SigningKeyFile"/>
/// (made there when the file does not exist) when the process starts, so a key file that cannot be
/// read stops it; none when the setting is unset, which is said once in the log.
/// </summary>
public sealed partial class CheckpointKey : IHostedService, IDisposable
{
    /// <summary>Why nothing can be signed without one, as callers are told.</summary>
    public const string NotConfigured = "no signing key is configured: set " + IntegrityOptions.Section + ":SigningKeyFile";

    private readonly Lazy<SigningKey?> key;

    public CheckpointKey(IOptions<IntegrityOptions> options, ILogger<CheckpointKey> logger)
    {
        key = new Lazy<SigningKey?>(() => Load(options.Value.SigningKeyFile, logger));
    }

    /// <summary>The signing key, or null when none is configured.</summary>
    public SigningKey? Key => key.Value;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = key.Value;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        if (key.IsValueCreated)
        {
            key.Value?.Dispose();
        }
    }

    private static SigningKey? Load(string? file, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(file))
        {
            LogNoKey(logger);
            return null;
        }

        try
        {
            var loaded = SigningKey.LoadOrCreate(file);
            if (!loaded.CanSign)
            {
                loaded.Dispose();
                throw new InvalidOperationException($"{IntegrityOptions.Section}:SigningKeyFile {file} holds a public key only: checkpoints need the private key");
            }

            LogKey(logger, loaded.Id, file);
            return loaded;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"{IntegrityOptions.Section}:SigningKeyFile {file} cannot be used: {e.Message}", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoints are signed with key {KeyId} from {File}")]
    private static partial void LogKey(ILogger logger, string keyId, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = IntegrityOptions.Section + ":SigningKeyFile is not set: no checkpoint is signed, and retention drops no month")]
    private static partial void LogNoKey(ILogger logger);
}
