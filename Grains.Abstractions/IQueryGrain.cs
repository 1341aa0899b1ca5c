namespace Argus.Grains.Abstractions;

/// <summary>Answers filtered reads with exact, deterministic pages.</summary>
public interface IQueryGrain
{
    Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken);
}
