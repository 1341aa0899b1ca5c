namespace Argus.Grains.Abstractions.Validation;

/// <summary>Input that Argus refuses; <see cref="Field"/> names the offending field (or <c>body</c>).</summary>
/// <remarks>Serialised with its field, so a refusal raised in a silo reaches the gateway that answers the caller.</remarks>
[GenerateSerializer]
public sealed class AuditValidationException : Exception
{
    public AuditValidationException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    [Id(0)]
    public string Field { get; private set; }
}
