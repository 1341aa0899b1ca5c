namespace Argus.Grains.Abstractions.Validation;

/// <summary>Input that Argus refuses; <see cref="Field"/> names the offending field (or <c>body</c>).</summary>
public sealed class AuditValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
