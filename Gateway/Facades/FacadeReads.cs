using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Security;

namespace Argus.Gateway.Facades;

/// <summary>
/// How a facade endpoint reads: its parameters checked all at once (problems answered in the
/// endpoint's dialect), then one read of the cluster in the caller's access scope. A cluster that
/// cannot answer throws <see cref="ArgusUnavailableException"/>, which the node answers with 503
/// and Retry-After in the same dialect.
/// </summary>
internal static class FacadeReads
{
    /// <summary>The read's result, or null once the problems with the parameters have been answered.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context, Func<AccessScope, Task<T>> read, FacadeParameters? parameters = null)
        where T : class?
    {
        parameters ??= new FacadeParameters(context.Request.Query);
        parameters.RefuseUnknown();
        if (!parameters.Valid)
        {
            await FacadeResponses.ProblemsAsync(context, parameters.Problems);
            return null;
        }

        return await read(context.AccessScope());
    }

    /// <summary>The entry with this id, or null once a 404 has been answered: for an id that is not a UUID, too, since no entry can have it.</summary>
    public static async Task<AuditEntry?> FindAsync(HttpContext context, IArgusCluster cluster, string id)
    {
        var entry = await ReadAsync(context, scope => Guid.TryParse(id, out var entryId)
            ? cluster.FindAsync(scope, entryId, context.RequestAborted)
            : Task.FromResult<AuditEntry?>(null));
        if (entry is null && !context.Response.HasStarted)
        {
            await FacadeResponses.NotFoundAsync(context, $"audit log \"{id}\" not found");
        }

        return entry;
    }
}
