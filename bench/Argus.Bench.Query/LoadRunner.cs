using System.Diagnostics;

namespace Argus.Bench.Query;

/// <summary>Runs calls a number of times at a fixed concurrency, within a time budget, and measures each call.</summary>
internal sealed class LoadRunner(int concurrency, TimeSpan budget)
{
    /// <summary>Calls <paramref name="call"/> with 0 .. requests-1 (or until the budget is spent).</summary>
    public async Task<LatencySample> RunAsync(Func<int, Task<bool>> call, int requests)
    {
        var tally = new Tally(requests);
        await RunAsync(call, 0, requests, budget, tally);
        return tally.Sample();
    }

    /// <summary>
    /// Runs two sides in turns, each round with the same inputs on both sides, so a disturbance of
    /// the shared machine (a checkpoint, autovacuum, a burst of another process) falls on both
    /// sides instead of on whichever happened to run at the time. The side that goes first in a
    /// round alternates (A B, B A, ...): whichever reads an input first may find it colder.
    /// </summary>
    public async Task<(LatencySample A, LatencySample B)> CompareAsync(Func<int, Task<bool>> a, Func<int, Task<bool>> b, int requests, int rounds)
    {
        var (tallyA, tallyB) = (new Tally(requests), new Tally(requests));
        var perRound = (requests + rounds - 1) / rounds;
        for (var (first, round) = (0, 0); first < requests; first += perRound, round++)
        {
            var count = Math.Min(perRound, requests - first);
            foreach (var (call, tally) in round % 2 == 0 ? [(a, tallyA), (b, tallyB)] : new[] { (b, tallyB), (a, tallyA) })
            {
                await RunAsync(call, first, count, budget / rounds, tally);
            }
        }

        return (tallyA.Sample(), tallyB.Sample());
    }

    private async Task RunAsync(Func<int, Task<bool>> call, int first, int count, TimeSpan limit, Tally tally)
    {
        var next = first - 1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (wall.Elapsed < limit)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= first + count)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                var ok = await call(i);
                tally.Add(Stopwatch.GetTimestamp() - started, ok);
            }
        })));
        wall.Stop();
        tally.Wall += wall.Elapsed;
    }

    /// <summary>The latencies and errors of one side, over all its rounds.</summary>
    private sealed class Tally(int capacity)
    {
        private readonly long[] ticks = new long[capacity];
        private int completed;
        private int errors;

        public TimeSpan Wall { get; set; }

        public void Add(long elapsed, bool ok)
        {
            ticks[Interlocked.Increment(ref completed) - 1] = elapsed;
            if (!ok)
            {
                Interlocked.Increment(ref errors);
            }
        }

        public LatencySample Sample() => LatencySample.From(ticks, completed, errors, Wall);
    }
}
