using System.Security.Cryptography;

namespace Argus.Grains.Integrity;

/// <summary>
/// The key that signs checkpoints: ECDSA over P-256 with SHA-256, signatures in the IEEE P1363
/// form (r and s, 32 bytes each). Its id is the SHA-256 of its public key (SubjectPublicKeyInfo,
/// DER) in lower-case hex, so anyone holding the public key can tell which checkpoints it signed.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa key;

    private SigningKey(ECDsa key, bool canSign)
    {
        this.key = key;
        CanSign = canSign;
        var spki = key.ExportSubjectPublicKeyInfo();
        Id = Convert.ToHexStringLower(SHA256.HashData(spki));
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    public string Id { get; }

    public string PublicKeyPem { get; }

    /// <summary>False for a key read from a public key alone: it verifies, it does not sign.</summary>
    public bool CanSign { get; }

    /// <summary>
    /// The private key in <paramref name="path"/>; when the file does not exist, a new key written
    /// there first (readable by its owner only). Processes starting together agree on one key: the
    /// file is created exclusively, and a process that loses the race reads the winner's.
    /// </summary>
    public static SigningKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var pem = fresh.ExportPkcs8PrivateKeyPem();
            var temporary = path + "." + Environment.ProcessId + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
            {
                writer.Write(pem);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        return Load(path);
    }

    /// <summary>A key from a PEM file: a private key (signs and verifies) or a public key (verifies).</summary>
    public static SigningKey Load(string path)
    {
        var pem = File.ReadAllText(path);
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        var canSign = pem.Contains("PRIVATE KEY", StringComparison.Ordinal);
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new CryptographicException($"{path} holds a {key.KeySize}-bit key; checkpoints are signed with P-256");
        }

        return new SigningKey(key, canSign);
    }

    public byte[] Sign(ReadOnlySpan<byte> body) =>
        CanSign
            ? key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            : throw new InvalidOperationException("a public key does not sign");

    public bool Verify(ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature) =>
        key.VerifyData(body, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => key.Dispose();
}
