namespace Argus.Grains.Abstractions.Security;

/// <summary>
/// Which entries a caller may read: every read of the cluster takes one, and the statements are
/// built with it, so a read cannot leave it out. A credential bound to a tenant reads only that
/// tenant's entries; <see cref="Unrestricted"/> is for credentials without a tenant and for
/// in-cluster services.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AccessScope
{
    /// <summary>Every tenant's entries.</summary>
    public static AccessScope Unrestricted { get; } = new();

    /// <summary>When set, only entries whose <c>tenantId</c> is this.</summary>
    [Id(0)]
    public string? Tenant { get; init; }

    public static AccessScope OfTenant(string? tenant) => tenant is null ? Unrestricted : new AccessScope { Tenant = tenant };

    /// <summary>Whether an entry of <paramref name="tenantId"/> lies inside this scope.</summary>
    public bool Allows(string? tenantId) => Tenant is null || string.Equals(Tenant, tenantId, StringComparison.Ordinal);
}
