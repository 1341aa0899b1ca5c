using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Integrity;
using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Grains.Integrity;

/// <summary>
/// Walks partitions' hash chains in sequence order and reports every problem (docs/integrity.md):
/// entries whose fields no longer give their hash, entries moved, inserted or missing, links that
/// do not hold, a recorded head that is not the chain's, and disagreement with the latest signed
/// heads checkpoint. Gaps are accepted only where a signed retention checkpoint says which entries
/// it removed, and the entry after them must name the last one's hash. Everything is read in one
/// snapshot, so entries committed meanwhile are neither half seen nor reported.
/// </summary>
/// <remarks>Reads straight from Postgres: it trusts nothing but the entries' own hashes and the key.</remarks>
public sealed class ChainVerifier(NpgsqlDataSource dataSource, SigningKey? key)
{
    /// <summary>Problems kept per partition; past it they are counted.</summary>
    public const int MaxProblems = 10_000;

    private const string RowsSql =
        $"SELECT {AuditQuerySql.EntryColumns}, seq, prev_hash, hash FROM audit_logs WHERE partition_id = $1 ORDER BY seq, id";

    /// <summary>
    /// Verifies <paramref name="partitions"/> (every partition when null) in one snapshot, handing each
    /// result to <paramref name="done"/> as it completes; <paramref name="progress"/> gets the entries read.
    /// Returns the problems of the checkpoints themselves (signatures).
    /// </summary>
    public async Task<IReadOnlyList<ChainProblem>> VerifyAsync(
        IReadOnlyCollection<int>? partitions, Func<PartitionVerification, Task> done, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
        {
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }

        var context = await LoadContextAsync(connection, transaction, cancellationToken);
        var heads = await ReadHeadsAsync(connection, transaction, cancellationToken);
        var read = 0L;
        foreach (var partition in partitions ?? heads.Keys.Order().ToList())
        {
            if (!heads.TryGetValue(partition, out var head))
            {
                throw new ArgumentOutOfRangeException(nameof(partitions), $"partition {partition} does not exist");
            }

            var result = await VerifyPartitionAsync(connection, transaction, partition, head, context, n => progress?.Report(read += n), cancellationToken);
            await done(result);
        }

        return context.Problems;
    }

    /// <summary>The partitions the cluster has.</summary>
    public async Task<int> PartitionCountAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM argus_partitions");
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed class Context
    {
        public List<ChainProblem> Problems { get; } = [];

        public Dictionary<int, Dictionary<long, RemovedRun>> Runs { get; } = [];

        public Checkpoint? Heads { get; set; }

        public Dictionary<int, ChainPosition> HeadsByPartition { get; } = [];

        public bool SignaturesChecked { get; set; }
    }

    private async Task<Context> LoadContextAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var context = new Context { SignaturesChecked = key is not null };
        var checkpoints = await CheckpointStore.AllAsync(connection, transaction, cancellationToken);
        foreach (var checkpoint in checkpoints)
        {
            if (key is not null && !checkpoint.IsSignedBy(key))
            {
                context.Problems.Add(new ChainProblem(null, null, ProblemKinds.Signature, checkpoint.KeyId == key.Id
                    ? $"checkpoint {checkpoint.Id} ({checkpoint.Kind}, {Rfc3339.Format(checkpoint.CreatedAt)}) does not match its signature: it was altered or forged"
                    : $"checkpoint {checkpoint.Id} ({checkpoint.Kind}, {Rfc3339.Format(checkpoint.CreatedAt)}) was signed by key {checkpoint.KeyId}, not by {key.Id}"));
                continue;
            }

            if (checkpoint.Kind == Checkpoint.RetentionKind)
            {
                foreach (var run in checkpoint.Runs())
                {
                    if (!context.Runs.TryGetValue(run.Partition, out var runs))
                    {
                        context.Runs[run.Partition] = runs = [];
                    }

                    runs[run.FirstSeq] = run;
                }
            }
            else if (checkpoint.Kind == Checkpoint.HeadsKind)
            {
                context.Heads = checkpoint;
            }
        }

        if (context.Heads is { } latest)
        {
            foreach (var head in latest.Heads())
            {
                context.HeadsByPartition[head.Partition] = head;
            }
        }

        return context;
    }

    private static async Task<Dictionary<int, (long LastSeq, byte[]? HeadHash)>> ReadHeadsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var heads = new Dictionary<int, (long, byte[]?)>();
        await using var command = new NpgsqlCommand("SELECT partition_id, last_seq, head_hash FROM argus_partitions", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            heads[reader.GetInt32(0)] = (reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2));
        }

        return heads;
    }

    private static async Task<PartitionVerification> VerifyPartitionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int partition, (long LastSeq, byte[]? HeadHash) head,
        Context context, Action<long> progress, CancellationToken cancellationToken)
    {
        var walk = new Walk(partition, context);
        await using (var command = new NpgsqlCommand(RowsSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var group = new List<Row>();
            var sinceReport = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new Row(
                    AuditStore.ReadEntry(reader), reader.GetInt64(37),
                    reader.IsDBNull(38) ? null : reader.GetFieldValue<byte[]>(38),
                    reader.IsDBNull(39) ? null : reader.GetFieldValue<byte[]>(39));
                if (group.Count > 0 && group[0].Seq != row.Seq)
                {
                    walk.Next(group);
                    group.Clear();
                }

                group.Add(row);
                if (++sinceReport == 1000)
                {
                    progress(sinceReport);
                    sinceReport = 0;
                }
            }

            if (group.Count > 0)
            {
                walk.Next(group);
            }

            progress(sinceReport);
        }

        return walk.End(head.LastSeq, head.HeadHash);
    }

    private sealed record Row(AuditEntry Entry, long Seq, byte[]? PrevHash, byte[]? Hash);

    /// <summary>One partition's walk: the state between entries and the problems found.</summary>
    private sealed class Walk(int partition, Context context)
    {
        private readonly EntryHash hasher = new();
        private readonly List<ChainProblem> problems = [];
        private readonly Dictionary<long, RemovedRun> runs = context.Runs.GetValueOrDefault(partition) ?? [];
        private readonly ChainPosition? vouched = context.HeadsByPartition.GetValueOrDefault(partition);
        private long expected = 1;
        private byte[]? previous = EntryHash.Genesis.ToArray();
        private long entries;
        private long firstSeq;
        private long lastSeq;
        private long removed;
        private long dropped;
        private bool? agrees;

        public void Next(List<Row> group)
        {
            var seq = group[0].Seq;
            Gap(expected, seq - 1);

            // Several entries at one position: the one whose hash and link hold is the chain's.
            var row = group.Find(r => r.Hash is not null && Holds(r, seq) && (previous is null || Same(r.PrevHash, previous))) ?? group[0];
            foreach (var other in group.Where(r => !ReferenceEquals(r, row)))
            {
                Report(seq, ProblemKinds.Inserted, $"a second entry {other.Entry.Id} claims this position (the chain's is {row.Entry.Id})");
            }

            Check(row, seq);
            if (vouched is not null && vouched.Seq == seq)
            {
                agrees = Same(row.Hash, vouched.Hash);
            }

            entries++;
            firstSeq = firstSeq == 0 ? seq : firstSeq;
            lastSeq = seq;
            previous = row.Hash;
            expected = seq + 1;
        }

        public PartitionVerification End(long headSeq, byte[]? headHash)
        {
            if (lastSeq > headSeq)
            {
                Report(headSeq + 1, ProblemKinds.Inserted, $"entries {headSeq + 1}..{lastSeq} lie past the partition's recorded head ({headSeq})");
            }
            else
            {
                Gap(expected, headSeq);
                if (headSeq > 0 && previous is not null && headHash is not null && !Same(previous, headHash))
                {
                    Report(headSeq, ProblemKinds.Checkpoint, "the partition's recorded head hash is not the hash of its last entry");
                }
            }

            CheckpointAgreement? agreement = null;
            if (vouched is not null && context.Heads is { } checkpoint)
            {
                // No entry at the vouched position: retention may have removed it, with the hash it ended on.
                agrees ??= RemovedRunEndingAt(vouched.Seq) is { } run ? Same(run.LastHash, vouched.Hash) : Covered(vouched.Seq);
                agreement = new CheckpointAgreement(checkpoint.Id, checkpoint.CreatedAt, vouched.Seq, agrees.Value);
                if (!agrees.Value)
                {
                    Report(vouched.Seq, ProblemKinds.Checkpoint,
                        lastSeq < vouched.Seq && headSeq < vouched.Seq
                            ? $"checkpoint {checkpoint.Id} ({Rfc3339.Format(checkpoint.CreatedAt)}) vouches for entries up to {vouched.Seq}, but the chain ends at {Math.Max(lastSeq, headSeq)}"
                            : $"the entry here is not the one checkpoint {checkpoint.Id} ({Rfc3339.Format(checkpoint.CreatedAt)}) vouches for: the chain was rewritten");
                }
            }

            if (dropped > 0)
            {
                problems.Add(new ChainProblem(partition, null, "more", $"{dropped} more problems are not listed"));
            }

            return new PartitionVerification(partition, entries, firstSeq, lastSeq, headSeq, removed, problems, agreement, context.SignaturesChecked);
        }

        /// <summary>Positions <paramref name="from"/>..<paramref name="to"/> hold no entry: fine where retention removed exactly them.</summary>
        private void Gap(long from, long to)
        {
            var at = from;
            while (at <= to && runs.TryGetValue(at, out var run) && run.LastSeq <= to)
            {
                removed += run.LastSeq - run.FirstSeq + 1;
                previous = run.LastHash;
                at = run.LastSeq + 1;
            }

            if (at <= to)
            {
                Report(at, ProblemKinds.Missing, at == to ? "the entry is not stored" : $"entries {at}..{to} ({to - at + 1}) are not stored");
                previous = null; // the next link cannot be checked
            }
        }

        private RemovedRun? RemovedRunEndingAt(long seq) => runs.Values.FirstOrDefault(r => r.LastSeq == seq);

        /// <summary>True when the position is inside a removed run (vouched for by its retention checkpoint).</summary>
        private bool Covered(long seq) => runs.Values.Any(r => r.FirstSeq <= seq && seq <= r.LastSeq);

        private void Check(Row row, long seq)
        {
            if (row.Hash is null || row.PrevHash is null)
            {
                Report(seq, ProblemKinds.Inserted, $"entry {row.Entry.Id} has no hash: Argus did not write it");
                return;
            }

            if (!Holds(row, seq))
            {
                var writtenAt = new[] { seq - 1, seq + 1, seq - 2, seq + 2 }.Where(s => s > 0).Cast<long?>().FirstOrDefault(s => Holds(row, s!.Value));
                Report(seq, writtenAt is { } at ? ProblemKinds.OutOfOrder : ProblemKinds.Altered, writtenAt is { } other
                    ? $"entry {row.Entry.Id} was written at seq {other}, not here"
                    : $"entry {row.Entry.Id} does not match its hash: a stored field was changed");
                return;
            }

            if (previous is not null && !Same(row.PrevHash, previous))
            {
                Report(seq, ProblemKinds.BrokenLink, $"entry {row.Entry.Id} names a previous hash that is not the hash of entry {seq - 1}");
            }
        }

        private bool Holds(Row row, long seq) =>
            row.Hash is not null && row.PrevHash is not null && row.PrevHash.Length == EntryHash.Length
            && Same(hasher.Compute(row.Entry, row.Entry.CreatedAt, partition, seq, row.PrevHash), row.Hash);

        private void Report(long seq, string kind, string detail)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(new ChainProblem(partition, seq, kind, detail));
            }
            else
            {
                dropped++;
            }
        }

        private static bool Same(byte[]? a, byte[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);
    }
}
