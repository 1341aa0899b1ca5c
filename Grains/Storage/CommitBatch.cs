using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Integrity;

namespace Argus.Grains.Storage;

/// <summary>
/// One commit's rows as columns (the shape <c>unnest</c> wants) plus each partition's fence.
/// The writer reuses one instance, so forming a batch allocates little.
/// </summary>
public sealed class CommitBatch
{
    public List<Guid> Ids { get; } = [];
    public List<Guid?> TraceIds { get; } = [];
    public List<DateTime> OccurredAt { get; } = [];
    public List<string?> EventTypes { get; } = [];
    public List<string?> EventActions { get; } = [];
    public List<string?> Statuses { get; } = [];
    public List<string?> ActorTypes { get; } = [];
    public List<string?> ActorIds { get; } = [];
    public List<string?> TargetTypes { get; } = [];
    public List<string?> TargetIds { get; } = [];
    public List<string?> RequestMetadata { get; } = [];
    public List<string?> ResponseMetadata { get; } = [];
    public List<string?> AdditionalMetadata { get; } = [];
    public List<string?> Sources { get; } = [];
    public List<string?> TenantIds { get; } = [];
    public List<string?> RequestIds { get; } = [];
    public List<string?> IpAddresses { get; } = [];
    public List<string?> UserAgents { get; } = [];
    public List<string?> HttpMethods { get; } = [];
    public List<string?> HttpPaths { get; } = [];
    public List<short?> HttpStatuses { get; } = [];
    public List<double?> LatenciesMs { get; } = [];
    public List<string?> ResourceTypes { get; } = [];
    public List<string?> PartnerIds { get; } = [];
    public List<string?> ActorEmails { get; } = [];
    public List<string?> Roles { get; } = [];
    public List<string?> Namespaces { get; } = [];
    public List<string?> EventGroups { get; } = [];
    public List<string?> SessionIds { get; } = [];
    public List<string?> CorrelationIds { get; } = [];
    public List<long?> UserIds { get; } = [];
    public List<string?> VmIds { get; } = [];
    public List<long?> TaskIds { get; } = [];
    public List<string?> NodeIps { get; } = [];
    public List<string?> WorkerIds { get; } = [];
    public List<string?> ErrorMessages { get; } = [];
    public List<int> Partitions { get; } = [];
    public List<long> Seqs { get; } = [];
    public List<byte[]> PrevHashes { get; } = [];
    public List<byte[]> Hashes { get; } = [];

    public List<int> FencePartitions { get; } = [];
    public List<long> FenceEpochs { get; } = [];
    public List<long> FenceExpected { get; } = [];
    public List<long> FenceLast { get; } = [];
    public List<byte[]> FenceHeads { get; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    private readonly EntryHash hasher = new();

    public int Count => Ids.Count;

    /// <summary>
    /// Adds an entry at (<paramref name="partition"/>, <paramref name="seq"/>) after the entry whose
    /// hash is <paramref name="previous"/>, and returns its own hash. Set <see cref="CreatedAt"/>
    /// first: the hash covers it.
    /// </summary>
    public byte[] Add(AuditEntry entry, int partition, long seq, byte[] previous)
    {
        var hash = hasher.Compute(entry, CreatedAt, partition, seq, previous);
        Add(entry, partition, seq, previous, hash);
        return hash;
    }

    /// <summary>Adds an entry after the batch's last entry of the same partition (or first in its chain when there is none).</summary>
    public byte[] Add(AuditEntry entry, int partition, long seq)
    {
        var at = Partitions.LastIndexOf(partition);
        return Add(entry, partition, seq, at < 0 ? EntryHash.Genesis.ToArray() : Hashes[at]);
    }

    private void Add(AuditEntry entry, int partition, long seq, byte[] prevHash, byte[] hash)
    {
        Ids.Add(entry.Id);
        TraceIds.Add(entry.TraceId);

        OccurredAt.Add(entry.Timestamp.UtcDateTime);
        EventTypes.Add(entry.EventType);
        EventActions.Add(entry.EventAction?.ToWire());
        Statuses.Add(entry.Status.ToWire());
        ActorTypes.Add(entry.ActorType.ToWire());
        ActorIds.Add(entry.ActorId);
        TargetTypes.Add(entry.TargetType.ToWire());
        TargetIds.Add(entry.TargetId);
        RequestMetadata.Add(entry.RequestMetadata);
        ResponseMetadata.Add(entry.ResponseMetadata);
        AdditionalMetadata.Add(entry.AdditionalMetadata);
        Sources.Add(entry.Source);
        TenantIds.Add(entry.TenantId);
        RequestIds.Add(entry.RequestId);
        IpAddresses.Add(entry.IpAddress);
        UserAgents.Add(entry.UserAgent);
        HttpMethods.Add(entry.HttpMethod);
        HttpPaths.Add(entry.HttpPath);
        HttpStatuses.Add((short?)entry.HttpStatus);
        LatenciesMs.Add(entry.LatencyMs);
        ResourceTypes.Add(entry.ResourceType);
        PartnerIds.Add(entry.PartnerId);
        ActorEmails.Add(entry.ActorEmail);
        Roles.Add(entry.Role);
        Namespaces.Add(entry.Namespace);
        EventGroups.Add(entry.EventGroup);
        SessionIds.Add(entry.SessionId);
        CorrelationIds.Add(entry.CorrelationId);
        UserIds.Add(entry.UserId);
        VmIds.Add(entry.VmId);
        TaskIds.Add(entry.TaskId);
        NodeIps.Add(entry.NodeIp);
        WorkerIds.Add(entry.WorkerId);
        ErrorMessages.Add(entry.ErrorMessage);
        Partitions.Add(partition);
        Seqs.Add(seq);
        PrevHashes.Add(prevHash);
        Hashes.Add(hash);
    }

    /// <summary>Moves <paramref name="partition"/> from <paramref name="expected"/> to <paramref name="last"/>, its head hash to <paramref name="head"/> (by default the batch's last entry of the partition).</summary>
    public void AddFence(int partition, long epoch, long expected, long last, byte[]? head = null)
    {
        FenceHeads.Add(head ?? Hashes[Partitions.LastIndexOf(partition)]);
        FencePartitions.Add(partition);
        FenceEpochs.Add(epoch);
        FenceExpected.Add(expected);
        FenceLast.Add(last);
    }

    public void Clear()
    {
        foreach (var list in new System.Collections.IList[]
        {
            Ids, TraceIds, OccurredAt, EventTypes, EventActions, Statuses, ActorTypes, ActorIds, TargetTypes, TargetIds,
            RequestMetadata, ResponseMetadata, AdditionalMetadata,
            Sources, TenantIds, RequestIds, IpAddresses, UserAgents, HttpMethods, HttpPaths, HttpStatuses, LatenciesMs,
            ResourceTypes, PartnerIds, ActorEmails, Roles, Namespaces, EventGroups, SessionIds, CorrelationIds, UserIds, VmIds,
            TaskIds, NodeIps, WorkerIds, ErrorMessages,
            Partitions, Seqs, PrevHashes, Hashes,
            FencePartitions, FenceEpochs, FenceExpected, FenceLast, FenceHeads,
        })
        {
            list.Clear();
        }
    }
}
