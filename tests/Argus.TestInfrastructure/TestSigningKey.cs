namespace Argus.TestInfrastructure;

/// <summary>
/// The checkpoint signing key file every test node is given unless its settings name another (or
/// none, with an empty value): one per test process, so the silos of a test cluster share it as
/// those of <c>./argus run</c> do. The first node to start makes it.
/// </summary>
public static class TestSigningKey
{
    public const string Setting = "Argus:Integrity:SigningKeyFile";

    public static string File { get; } = Path.Combine(Path.GetTempPath(), $"argus-tests-{Environment.ProcessId}", "signing-key.pem");
}
