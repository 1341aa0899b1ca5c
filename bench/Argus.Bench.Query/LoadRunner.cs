using System.Diagnostics;

namespace Argus.Bench.Query;

/// <summary>Runs one call a number of times at a fixed concurrency, within a time budget, and measures each call.</summary>
internal sealed class LoadRunner(int concurrency, TimeSpan budget)
{
    public async Task<LatencySample> RunAsync(Func<int, Task<bool>> call, int requests)
    {
        var ticks = new long[requests];
        var next = -1;
        var completed = 0;
        var errors = 0;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (wall.Elapsed < budget)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= requests)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                var ok = await call(i);
                ticks[Interlocked.Increment(ref completed) - 1] = Stopwatch.GetTimestamp() - started;
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        wall.Stop();
        return LatencySample.From(ticks, completed, errors, wall.Elapsed);
    }
}
