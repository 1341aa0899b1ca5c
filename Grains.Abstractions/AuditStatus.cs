namespace Argus.Grains.Abstractions;

/// <summary>Outcome of the audited action. Wire names: <c>SUCCESS</c>, <c>FAILURE</c>.</summary>
public enum AuditStatus
{
    Success = 1,
    Failure = 2,
}
