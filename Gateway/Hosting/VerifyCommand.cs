using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Integrity;
using Argus.Grains.Integrity;
using Npgsql;

namespace Argus.Gateway.Hosting;

/// <summary>
/// <c>Argus.Gateway verify</c>: walks every partition's hash chain straight in Postgres (read-only,
/// with or without a node running), prints each problem as one line naming the partition and
/// sequence number, then a summary. Checkpoints' signatures are checked with the signing key's file
/// (its public half is enough). Exit codes: 0 every chain holds, 1 a problem was found or Postgres
/// cannot be read, 2 bad arguments.
/// </summary>
public static class VerifyCommand
{
    private const string Usage = """
        usage: verify [--partition N] [--connection CONNECTION] [--key FILE]
        options: --connection CONNECTION  Postgres to read (or --ConnectionStrings:Argus, or ConnectionStrings__Argus)
                 --key FILE               the checkpoint signing key, private or public PEM
                                          (or --Argus:Integrity:SigningKeyFile, or Argus__Integrity__SigningKeyFile)
                 --partition N            one partition only
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool showProgress)
    {
        if (!TryParse(args, out var parsed, out var problem))
        {
            await error.WriteLineAsync(problem);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        SigningKey? key = null;
        if (parsed.KeyFile is { } file)
        {
            if (!File.Exists(file))
            {
                await error.WriteLineAsync($"verify: the key file {file} does not exist");
                return 2;
            }

            key = SigningKey.Load(file);
        }

        try
        {
            await using var dataSource = NpgsqlDataSource.Create(parsed.ConnectionString!);
            var verifier = new ChainVerifier(dataSource, key);
            var partitions = await verifier.PartitionCountAsync(CancellationToken.None);
            if (parsed.Partition is { } only && (only < 0 || only >= partitions))
            {
                await error.WriteLineAsync($"verify: --partition must be between 0 and {partitions - 1}");
                return 2;
            }

            var summary = new Summary();
            var done = 0;
            var progress = showProgress ? new Progress(error, parsed.Partition is null ? partitions : 1) : null;
            var checkpointProblems = await verifier.VerifyAsync(
                parsed.Partition is { } one ? [one] : null,
                async partition =>
                {
                    progress?.Clear();
                    foreach (var found in partition.Problems)
                    {
                        await output.WriteLineAsync(found.ToString());
                    }

                    summary.Add(partition);
                    progress?.Partition(++done);
                },
                progress,
                CancellationToken.None);
            progress?.Clear();
            foreach (var found in checkpointProblems)
            {
                await output.WriteLineAsync(found.ToString());
            }

            summary.CheckpointProblems = checkpointProblems.Count;
            foreach (var line in summary.Lines(key))
            {
                await output.WriteLineAsync(line);
            }

            return summary.Holds ? 0 : 1;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await error.WriteLineAsync(e is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn }
                ? "verify: this database holds no Argus log with hash chains (start a node on it once to bring its schema up to date)"
                : $"verify: Postgres cannot be read: {e.Message}");
            return 1;
        }
    }

    /// <summary>What the summary line says: totals over the partitions, and the checkpoint they were held against.</summary>
    private sealed class Summary
    {
        private long partitions;
        private long entries;
        private long problems;
        private long removed;
        private long agreeing;
        private long disagreeing;
        private CheckpointAgreement? checkpoint;

        public int CheckpointProblems { get; set; }

        public bool Holds => problems == 0 && CheckpointProblems == 0;

        public void Add(PartitionVerification partition)
        {
            partitions++;
            entries += partition.Entries;
            problems += partition.Problems.Count;
            removed += partition.RemovedByRetention;
            if (partition.Checkpoint is { } agreement)
            {
                checkpoint = agreement;
                _ = agreement.Agrees ? agreeing++ : disagreeing++;
            }
        }

        public IEnumerable<string> Lines(SigningKey? key)
        {
            var total = problems + CheckpointProblems;
            var removedText = removed > 0 ? $" ({removed:N0} more removed by retention, vouched for by signed checkpoints)" : "";
            yield return $"verified {partitions} partition{(partitions == 1 ? "" : "s")}, {entries:N0} entries{removedText}: "
                + (total == 0 ? "every chain holds" : $"{total} problem{(total == 1 ? "" : "s")}");
            yield return checkpoint is null
                ? "checkpoint: none yet covers these partitions"
                : disagreeing == 0
                    ? $"checkpoint: the chains agree with checkpoint {checkpoint.CheckpointId} of {Rfc3339.Format(checkpoint.CreatedAt)}"
                    : $"checkpoint: {disagreeing} partition{(disagreeing == 1 ? "" : "s")} disagree with checkpoint {checkpoint.CheckpointId} of {Rfc3339.Format(checkpoint.CreatedAt)}";
            if (key is null)
            {
                yield return "signatures: not checked (no key given: --key FILE)";
            }
        }
    }

    /// <summary>A progress line on a terminal, rewritten in place.</summary>
    private sealed class Progress(TextWriter error, int partitions) : IProgress<long>
    {
        private long entries;
        private int partition;
        private long lastDrawn = -1;

        public void Report(long value)
        {
            entries = value;
            if (entries - lastDrawn >= 10_000)
            {
                Draw();
            }
        }

        public void Partition(int done)
        {
            partition = done;
            Draw();
        }

        public void Clear() => error.Write("\r\u001b[K");

        private void Draw()
        {
            lastDrawn = entries;
            error.Write($"\r\u001b[Kverifying: {partition}/{partitions} partitions, {entries:N0} entries");
        }
    }

    private sealed class Parsed
    {
        public string? ConnectionString { get; set; } = Environment.GetEnvironmentVariable("ConnectionStrings__Argus");

        public string? KeyFile { get; set; } = Environment.GetEnvironmentVariable("Argus__Integrity__SigningKeyFile");

        public int? Partition { get; set; }
    }

    private static bool TryParse(string[] args, out Parsed parsed, out string problem)
    {
        parsed = new Parsed();
        problem = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var option = eq < 0 ? arg : arg[..eq];
            string? value = eq < 0 ? null : arg[(eq + 1)..];
            if (!option.StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"verify: unexpected argument '{arg}'";
                return false;
            }

            if (value is null)
            {
                if (i + 1 >= args.Length)
                {
                    problem = $"verify: {option} needs a value";
                    return false;
                }

                value = args[++i];
            }

            switch (option)
            {
                case "--connection" or "--ConnectionStrings:Argus":
                    parsed.ConnectionString = value;
                    break;
                case "--key" or "--Argus:Integrity:SigningKeyFile":
                    parsed.KeyFile = value.Length == 0 ? null : value;
                    break;
                case "--partition" when int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partition):
                    parsed.Partition = partition;
                    break;
                case "--partition":
                    problem = $"verify: --partition must be a partition number, got '{value}'";
                    return false;
                default:
                    problem = $"verify: unknown option '{option}'";
                    return false;
            }
        }

        if (string.IsNullOrEmpty(parsed.ConnectionString))
        {
            problem = "verify: give the Postgres to read with --connection";
            return false;
        }

        return true;
    }
}
