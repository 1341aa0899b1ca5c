using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Security;

namespace Argus.Gateway.Security;

/// <summary>
/// What a credential bound to a tenant may append: entries of its tenant only. An entry without
/// <c>tenantId</c> takes the credential's; another tenant's is refused (403).
/// </summary>
public static class TenantBinding
{
    public static bool TryBind(AuditEntry entry, AccessScope scope, out AuditEntry bound, out string refusal)
    {
        refusal = "";
        bound = entry;
        if (scope.Tenant is not { } tenant)
        {
            return true;
        }

        if (entry.TenantId is null)
        {
            bound = entry with { TenantId = tenant };
            return true;
        }

        if (scope.Allows(entry.TenantId))
        {
            return true;
        }

        refusal = "forbidden: 'tenantId' names a tenant this credential may not write for";
        return false;
    }

    /// <summary>
    /// The namespace of idempotency keys for a caller: a tenant's keys are its own, so two tenants
    /// using the same key name two different entries and neither can replay the other's.
    /// </summary>
    public static string IdempotencyScope(string api, AccessScope scope) => scope.Tenant is { } tenant ? api + "\n" + tenant : api;
}
