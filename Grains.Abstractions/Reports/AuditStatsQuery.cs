namespace Argus.Grains.Abstractions.Reports;

/// <summary>
/// The entries a statistics report counts: those whose timestamp lies in <c>[Since, Until)</c>
/// (either bound optional), of <see cref="TenantId"/> when given.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditStatsQuery
{
    /// <summary>Inclusive lower bound on <c>timestamp</c>.</summary>
    [Id(0)]
    public DateTimeOffset? Since { get; init; }

    /// <summary>Exclusive upper bound on <c>timestamp</c>.</summary>
    [Id(1)]
    public DateTimeOffset? Until { get; init; }

    /// <summary>Only this tenant's entries.</summary>
    [Id(2)]
    public string? TenantId { get; init; }
}
