using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Argus.Grains.Integrity;

/// <summary>
/// Makes <c>heads</c> checkpoints: every partition's last sequence number and hash, signed. On
/// demand, or when one is due: the newest is at least <see cref="IntegrityOptions.CheckpointInterval"/>
/// old (or there is none) and some head moved since it. Every silo of a cluster asks when it thinks
/// one is due; they take turns on an advisory lock and each decides in the transaction that would
/// add it, after the previous one's commit, so a cluster makes one per interval, not one per silo.
/// </summary>
public sealed partial class HeadsCheckpoints(
    CheckpointStore store, CheckpointKey key, IOptions<IntegrityOptions> options, TimeProvider time, ILogger<HeadsCheckpoints> logger)
{
    /// <summary>False when no signing key is configured: nothing is made.</summary>
    public bool CanSign => key.Key is not null;

    /// <summary>Makes one now, whatever the newest says.</summary>
    /// <exception cref="InvalidOperationException">No signing key is configured.</exception>
    public async Task<Checkpoint> MakeAsync(CancellationToken cancellationToken) =>
        (await MakeAsync(onlyWhenDue: false, cancellationToken)).Made!;

    /// <summary>Makes one when it is due (see the class); says when the next one will be.</summary>
    public Task<(Checkpoint? Made, DateTimeOffset NextDue)> MakeIfDueAsync(CancellationToken cancellationToken) =>
        MakeAsync(onlyWhenDue: true, cancellationToken);

    private async Task<(Checkpoint? Made, DateTimeOffset NextDue)> MakeAsync(bool onlyWhenDue, CancellationToken cancellationToken)
    {
        var signer = key.Key ?? throw new InvalidOperationException(CheckpointKey.NotConfigured);
        var interval = options.Value.CheckpointInterval;
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await CheckpointStore.TakeHeadsTurnAsync(connection, cancellationToken);

        // Read after the turn is ours: a checkpoint another silo just added is seen.
        var now = Microseconds(time.GetUtcNow());
        var newest = await CheckpointStore.NewestAsync(Checkpoint.HeadsKind, connection, cancellationToken);
        if (onlyWhenDue && newest is not null && now - newest.CreatedAt < interval)
        {
            return (null, newest.CreatedAt + interval);
        }

        var heads = await store.ReadHeadsAsync(cancellationToken, connection);
        if (onlyWhenDue && (newest is null ? heads.Count == 0 : SameHeads(newest.Heads(), heads)))
        {
            LogUnmoved();
            return (null, now + interval);
        }

        var made = await store.AddAsync(Checkpoint.HeadsKind, Checkpoint.HeadsBody(now, heads), signer, cancellationToken, connection, now);
        await transaction.CommitAsync(cancellationToken);
        LogMade(made.Id, heads.Count, signer.Id);
        return (made, now + interval);
    }

    private static bool SameHeads(IReadOnlyList<ChainPosition> before, IReadOnlyList<ChainPosition> now) =>
        before.Count == now.Count
        && before.OrderBy(h => h.Partition).Zip(now.OrderBy(h => h.Partition))
            .All(p => p.First.Partition == p.Second.Partition && p.First.Seq == p.Second.Seq && p.First.Hash.AsSpan().SequenceEqual(p.Second.Hash));

    /// <summary>Postgres keeps microseconds: the body states the time the row keeps.</summary>
    private static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Information, Message = "Heads checkpoint {Id} made: {Partitions} partitions' heads, signed with key {KeyId}")]
    private partial void LogMade(long id, int partitions, string keyId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No heads checkpoint made: no head moved since the last one")]
    private partial void LogUnmoved();
}
