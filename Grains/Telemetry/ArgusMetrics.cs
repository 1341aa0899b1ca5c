using System.Diagnostics.Metrics;

namespace Argus.Grains.Telemetry;

/// <summary>
/// Argus's own instruments, on the meter <c>Argus</c> of the host's <see cref="IMeterFactory"/>.
/// Prometheus shows them as <c>argus_entries_appended_total</c>, <c>argus_entries_rejected_total{reason}</c>,
/// <c>argus_commit_batch_entries</c>, <c>argus_commit_duration_seconds</c>, <c>argus_query_duration_seconds{shape}</c>;
/// the writer and the partition owners add the gauges <c>argus_pending_entries</c> and <c>argus_owned_partitions</c>.
/// </summary>
public sealed class ArgusMetrics
{
    public const string MeterName = "Argus";

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    private readonly Counter<long> appended;
    private readonly Counter<long> rejected;
    private readonly Histogram<int> batchEntries;
    private readonly Histogram<double> commitDuration;
    private readonly Histogram<double> queryDuration;

    public ArgusMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        appended = Meter.CreateCounter<long>("argus.entries.appended", "{entry}", "Entries committed to Postgres and acknowledged");
        rejected = Meter.CreateCounter<long>("argus.entries.rejected", "{entry}", "Entries refused, by reason (invalid, too_large, forbidden, rate_limited, conflict, overloaded, unavailable, rejected)");
        batchEntries = Meter.CreateHistogram("argus.commit.batch.entries", "{entry}", "Entries in one group commit",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        commitDuration = Meter.CreateHistogram("argus.commit.duration", "s", "Time of one group commit's round trip to Postgres",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        queryDuration = Meter.CreateHistogram("argus.query.duration", "s", "Time to answer a read, by shape",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
    }

    /// <summary>The meter, for the gauges that the services owning a value observe.</summary>
    public Meter Meter { get; }

    public void Committed(int entries, TimeSpan duration)
    {
        batchEntries.Record(entries);
        commitDuration.Record(duration.TotalSeconds);
        appended.Add(entries);
    }

    public void Rejected(string reason, int entries = 1) => rejected.Add(entries, new KeyValuePair<string, object?>("reason", reason));

    public void Queried(string shape, TimeSpan duration) => queryDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("shape", shape));
}
