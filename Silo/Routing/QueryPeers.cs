using Argus.Client.Routing;
using Argus.Grains;
using Argus.Grains.Abstractions.Querying;
using Argus.Silo.Membership;
using Argus.Silo.Options;
using Microsoft.Extensions.Options;

namespace Argus.Silo.Routing;

/// <summary>
/// The other silos for <see cref="QueryGrain"/>: owners from the partition directory (this silo's
/// own address left out), asked over <c>POST /internal/v1/query</c> within
/// <see cref="SiloOptions.QueryTimeout"/>. An owner that fails to answer makes the directory
/// be read again next time, as a failed forward does.
/// </summary>
internal sealed class QueryPeers(PartitionDirectory directory, SiloProtocol protocol, SiloMembership membership, IOptions<SiloOptions> options)
    : IQueryPeers
{
    private readonly TimeSpan timeout = options.Value.QueryTimeout;

    public async ValueTask<IReadOnlyDictionary<int, string>> OwnersAsync(CancellationToken cancellationToken)
    {
        var owners = await directory.OwnersAsync(cancellationToken);
        var self = membership.PublishedAddress;
        return self is null || !owners.Values.Contains(self)
            ? owners
            : owners.Where(o => o.Value != self).ToDictionary(o => o.Key, o => o.Value);
    }

    public async Task<PartitionRows?> ReadAsync(string owner, PartitionQuery query, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        PartitionRows? rows;
        try
        {
            rows = await protocol.QueryAsync(owner, query, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            rows = null; // not in time
        }

        if (rows is null)
        {
            directory.Invalidate();
        }

        return rows;
    }
}
