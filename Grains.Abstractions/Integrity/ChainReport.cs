namespace Argus.Grains.Abstractions.Integrity;

/// <summary>What verification found wrong with a partition's chain, or with a checkpoint.</summary>
public static class ProblemKinds
{
    /// <summary>An entry's stored fields do not give its stored hash: a field was changed.</summary>
    public const string Altered = "altered";

    /// <summary>Sequence numbers with no entry, not removed by a signed retention run.</summary>
    public const string Missing = "missing";

    /// <summary>An entry Argus did not write there: a second entry at a sequence number, one past the recorded head, or one with no hash.</summary>
    public const string Inserted = "inserted";

    /// <summary>An entry whose hash holds at another sequence number: it was moved (a swapped pair moves two).</summary>
    public const string OutOfOrder = "out of order";

    /// <summary>An entry's previous hash is not the hash of the entry before it.</summary>
    public const string BrokenLink = "broken link";

    /// <summary>The chain disagrees with a signed checkpoint, or the recorded head with the chain.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary>A checkpoint whose signature does not verify with the key.</summary>
    public const string Signature = "signature";
}

/// <summary>One problem: where (a partition and sequence number, or a checkpoint) and what.</summary>
[GenerateSerializer, Immutable]
public sealed record ChainProblem(
    [property: Id(0)] int? Partition,
    [property: Id(1)] long? Seq,
    [property: Id(2)] string Kind,
    [property: Id(3)] string Detail)
{
    /// <summary>One line: <c>partition 3 seq 17: altered: ...</c>.</summary>
    public override string ToString() =>
        (Partition is { } p ? $"partition {p}" + (Seq is { } s ? $" seq {s}" : "") : "log") + $": {Kind}: {Detail}";
}

/// <summary>How a partition's chain compares with the latest signed heads checkpoint.</summary>
[GenerateSerializer, Immutable]
public sealed record CheckpointAgreement(
    [property: Id(0)] long CheckpointId,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] long Seq,
    [property: Id(3)] bool Agrees);

/// <summary>The verification of one partition's chain.</summary>
[GenerateSerializer, Immutable]
public sealed record PartitionVerification(
    [property: Id(0)] int Partition,
    [property: Id(1)] long Entries,
    [property: Id(2)] long FirstSeq,
    [property: Id(3)] long LastSeq,
    [property: Id(4)] long HeadSeq,
    [property: Id(5)] long RemovedByRetention,
    [property: Id(6)] IReadOnlyList<ChainProblem> Problems,
    [property: Id(7)] CheckpointAgreement? Checkpoint,
    [property: Id(8)] bool SignaturesChecked)
{
    public bool Holds => Problems.Count == 0;
}
