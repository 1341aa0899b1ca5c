using Argus.Grains.Abstractions.Querying;

namespace Argus.Grains.Abstractions;

/// <summary>
/// The owner of one partition of the log (keyed by the partition number). Its activation is the
/// partition's only writer: it keeps a queue per trace, in arrival order, and the silo's group
/// commit stores every queued entry of every partition the silo owns in one fenced round trip.
/// Activation takes the partition over in Postgres (a new epoch), so an activation left behind by
/// a membership change cannot commit any more.
/// </summary>
public interface IPartitionGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Stores the entry and answers once it is committed (or why not). <see cref="AppendStatus.NotOwner"/>
    /// means this activation lost the partition: call again, the next activation takes it.
    /// </summary>
    /// <remarks>
    /// A caller left waiting this long sends the entry again (same id, so never stored twice): a
    /// call in flight to a silo that was just lost is not always failed at once (through a gateway
    /// it waits for this timeout), and sending again reaches the partition's next owner. Orleans
    /// checks every call's timeout on one shared timer, so this costs an append nothing.
    /// </remarks>
    [ResponseTimeout(AttemptTimeout)]
    ValueTask<AppendResult> AppendAsync(AuditEntry entry);

    /// <summary>How long one attempt of an append waits for its answer (see <see cref="AppendAsync"/>).</summary>
    public const string AttemptTimeout = "00:00:03";

    /// <summary>
    /// The first matches and count of a read over partitions this activation's silo owns, or null
    /// when it does not own every one of them (the asker reads them from Postgres itself).
    /// </summary>
    Task<PartitionRows?> ReadOwnedAsync(PartitionQuery query, CancellationToken cancellationToken);

    /// <summary>Activates the owner if it is not active (the balancer keeps every partition owned).</summary>
    Task EnsureActiveAsync();

    /// <summary>
    /// Hands the partition over: stops taking entries, lets the writer commit what is queued, and
    /// deactivates, so that the next call activates the owner where placement now puts it.
    /// </summary>
    Task HandOffAsync();
}
