using System.Globalization;

namespace Argus.Bench.Query;

/// <summary>The benchmark's table: per shape, Argus over HTTP and the same SQL direct, and how they compare.</summary>
internal static class ResultTable
{
    public static void Print(IReadOnlyList<(QueryShape Shape, LatencySample? Argus, LatencySample? Direct)> results, int concurrency, int requests, TimeSpan budget)
    {
        Console.WriteLine();
        Console.WriteLine($"Query shapes at concurrency {concurrency}: up to {requests} requests per side after a warm-up, the sides taking turns, at most {budget.TotalSeconds:N0} s per side; "
            + $"{Environment.ProcessorCount} cores shared by Argus, Postgres and this client. Latencies in ms.");
        var header = string.Format(CultureInfo.InvariantCulture, "{0,-36} {1,6} {2,8} {3,8} {4,8} {5,8} | {6,6} {7,8} {8,8} {9,8} | {10,9} {11,9}",
            "shape", "n", "p50", "p90", "p99", "req/s", "n", "p50", "p99", "req/s", "p50 ratio", "p99 ratio");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-36} {1,42} | {2,33} |", "", "Argus over HTTP", "same SQL direct (Npgsql)"));
        Console.WriteLine(header);
        Console.WriteLine(new string('-', header.Length));
        foreach (var (shape, argus, direct) in results)
        {
            if (argus is null || direct is null)
            {
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-36} n/a: {1}", shape.Name, shape.NotApplicable));
                continue;
            }

            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0,-36} {1,6} {2,8:N2} {3,8:N2} {4,8:N2} {5,8:N0} | {6,6} {7,8:N2} {8,8:N2} {9,8:N0} | {10,8:N2}x {11,8:N2}x",
                shape.Name, argus.Requests, argus.P50Ms, argus.P90Ms, argus.P99Ms, argus.RequestsPerSecond,
                direct.Requests, direct.P50Ms, direct.P99Ms, direct.RequestsPerSecond,
                argus.P50Ms / direct.P50Ms, argus.P99Ms / direct.P99Ms));
            if (argus.Errors > 0)
            {
                Console.WriteLine($"  {argus.Errors} Argus requests failed");
            }
        }
    }
}
