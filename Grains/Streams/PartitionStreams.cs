namespace Argus.Grains.Streams;

/// <summary>All partition streams of this silo, one per partition of the cluster.</summary>
public sealed class PartitionStreams
{
    private PartitionStream[] streams = [];

    public PartitionStreams(AuditLogWriter writer) => Writer = writer;

    internal AuditLogWriter Writer { get; }

    /// <summary>The cluster's partition count, known once the schema is in place.</summary>
    public int PartitionCount => streams.Length;

    public PartitionStream this[int partition] => streams[partition];

    public IReadOnlyList<PartitionStream> All => streams;

    public void Initialize(int partitionCount)
    {
        if (streams.Length != 0)
        {
            throw new InvalidOperationException("Partition streams are already initialised.");
        }

        var created = new PartitionStream[partitionCount];
        for (var p = 0; p < partitionCount; p++)
        {
            created[p] = new PartitionStream(p, Writer);
        }

        streams = created;
    }
}
