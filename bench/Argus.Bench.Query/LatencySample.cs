namespace Argus.Bench.Query;

/// <summary>What one side of a shape measured: request count, latency percentiles and throughput.</summary>
internal sealed record LatencySample(int Requests, int Errors, double P50Ms, double P90Ms, double P99Ms, double RequestsPerSecond)
{
    public static LatencySample From(long[] ticks, int count, int errors, TimeSpan wall)
    {
        var sorted = ticks[..count];
        Array.Sort(sorted);
        double Percentile(double p) => count == 0 ? double.NaN
            : sorted[Math.Min(count - 1, (int)Math.Ceiling(p * count) - 1)] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        return new LatencySample(count, errors, Percentile(0.50), Percentile(0.90), Percentile(0.99), count / wall.TotalSeconds);
    }
}
