using Argus.Grains.Integrity;

namespace Argus.Gateway.Hosting;

/// <summary>
/// <c>Argus.Gateway signing-key FILE</c>: makes the key that signs checkpoints in FILE (PKCS#8
/// PEM, ECDSA P-256, readable by its owner only) unless FILE exists, and prints the key's id and
/// public key, what an auditor keeps. For deployments that hand every silo the same key read-only,
/// made before they start (the init service of docker-compose.yml). Exit codes: 0 the key is in
/// FILE, 1 FILE cannot be used (unreadable, not a P-256 key, a public key only), 2 bad arguments.
/// </summary>
public static class SigningKeyCommand
{
    private const string Usage = """
        usage: signing-key FILE
        makes an ECDSA P-256 key in FILE unless it exists, and prints its id and public key.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is not [var file] || file.StartsWith('-'))
        {
            await error.WriteLineAsync(args.Length == 0 ? "signing-key: give the key's FILE" : $"signing-key: unexpected arguments '{string.Join(' ', args)}'");
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var existed = File.Exists(file);
        try
        {
            using var key = SigningKey.LoadOrCreate(file);
            if (!key.CanSign)
            {
                await error.WriteLineAsync($"signing-key: {file} holds a public key only: checkpoints need the private key");
                return 1;
            }

            await output.WriteLineAsync(existed ? $"signing key {key.Id} is in {file} (kept as it was)" : $"made signing key {key.Id} in {file}");
            await output.WriteAsync(key.PublicKeyPem.TrimEnd() + "\n");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            await error.WriteLineAsync($"signing-key: {file} cannot be used: {e.Message}");
            return 1;
        }
    }
}
