namespace Argus.Grains.Integrity;

/// <summary>Signed checkpoints (section <c>Argus:Integrity</c>).</summary>
public sealed class IntegrityOptions
{
    public const string Section = "Argus:Integrity";

    /// <summary>
    /// The PEM file (PKCS#8, ECDSA P-256) of the key that signs checkpoints. Kept outside the
    /// database, so that whoever can rewrite the database cannot sign. Created (mode 0600) when
    /// missing. Unset: no checkpoints are made.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>How often each partition's head is recorded in a signed checkpoint.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<string> Validate()
    {
        if (CheckpointInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{Section}:CheckpointInterval must be at least 1 second.";
        }
    }
}
