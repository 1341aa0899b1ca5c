using System.Security.Cryptography;
using Argus.Gateway.Hosting;
using Argus.Grains.Integrity;

namespace Argus.Gateway.Tests;

/// <summary>
/// <c>signing-key FILE</c>, what docker-compose.yml's init service runs: makes a key a node signs
/// with, once, readable by its owner only, and prints what an auditor keeps; refuses a file it cannot use.
/// </summary>
public sealed class SigningKeyCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("argus-signing-key-").FullName;

    [Fact]
    public async Task Makes_a_key_once_and_keeps_it_on_every_later_run()
    {
        var file = Path.Combine(directory, "keys", "signing-key.pem");

        var made = await RunAsync(file);
        Assert.True(made.ExitCode == 0, made.ToString());
        using var key = SigningKey.Load(file);
        Assert.True(key.CanSign);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.StartsWith($"made signing key {key.Id} in {file}", made.Output, StringComparison.Ordinal);
        Assert.Contains(key.PublicKeyPem.Trim(), made.Output, StringComparison.Ordinal);

        var pem = await File.ReadAllTextAsync(file);
        var again = await GatewayProgram.RunAsync(["signing-key", file]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith($"signing key {key.Id} is in {file} (kept as it was)", again.Output, StringComparison.Ordinal);
        Assert.Equal(pem, await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Refuses_a_public_key_a_key_of_another_curve_and_bad_arguments()
    {
        var publicOnly = Path.Combine(directory, "public.pem");
        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(publicOnly, ecdsa.ExportSubjectPublicKeyInfoPem());
        }

        var refused = await RunAsync(publicOnly);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("public key only", refused.Error, StringComparison.Ordinal);

        var p384 = Path.Combine(directory, "p384.pem");
        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384))
        {
            await File.WriteAllTextAsync(p384, ecdsa.ExportPkcs8PrivateKeyPem());
        }

        var wrongCurve = await RunAsync(p384);
        Assert.True(wrongCurve.ExitCode == 1, wrongCurve.ToString());
        Assert.Contains("P-256", wrongCurve.Error, StringComparison.Ordinal);

        Assert.Equal(2, (await RunAsync()).ExitCode);
        Assert.Equal(2, (await RunAsync("a.pem", "b.pem")).ExitCode);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static async Task<GatewayProgram.Result> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await SigningKeyCommand.RunAsync(args, output, error);
        return new GatewayProgram.Result(exit, output.ToString(), error.ToString());
    }
}
