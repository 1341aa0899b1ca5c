using System.Collections.Concurrent;

namespace Argus.Gateway.Tests;

/// <summary>The live tail through a gateway while a silo dies: a client that resumes with Last-Event-ID misses nothing and sees nothing twice.</summary>
public sealed class TailClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_tail_resumed_with_last_event_id_across_a_silo_kill_misses_nothing()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 12);
        await using var gateway = await cluster.StartGatewayAsync();
        using var client = gateway.CreateClient();
        var actor = "tail-kill-" + Guid.NewGuid().ToString("N");

        var seen = new ConcurrentQueue<Guid>();
        var reconnects = 0;
        using var stopReading = new CancellationTokenSource();
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            string? last = null;
            while (!stopReading.IsCancellationRequested)
            {
                try
                {
                    // The cluster's database holds this load's entries only.
                    await using var tail = await TailReader.OpenAsync(client, lastEventId: last);
                    opened.TrySetResult();
                    while (await tail.NextAsync(stopReading.Token) is { } next)
                    {
                        if (next.Event == "entry")
                        {
                            seen.Enqueue(Guid.Parse((string)next.Json["id"]!));
                            last = next.Id;
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException or Xunit.Sdk.XunitException && !stopReading.IsCancellationRequested)
                {
                    // What an EventSource does: wait a moment and reconnect with the last id it was sent.
                    await Task.Delay(100);
                }
                catch (OperationCanceledException) when (stopReading.IsCancellationRequested)
                {
                    return;
                }

                Interlocked.Increment(ref reconnects);
            }
        });

        // The tail starts at the present: the load starts once it is open.
        await opened.Task.WaitAsync(Patience);
        await using (var load = IngestLoad.Start(client, writers: 8, actor))
        {
            await load.WaitForMoreAsync(200, Patience, "before the kill");
            await cluster.KillSiloAsync(cluster.Silos[1]);
            await load.WaitForMoreAsync(200, Patience, "after the kill");
            await load.StopAsync();

            var acknowledged = load.Acknowledged.ToHashSet();
            try
            {
                await Eventually.WaitUntilAsync(() => acknowledged.IsSubsetOf(seen), $"the tail to show all {acknowledged.Count} acknowledged entries", Patience);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"the tail showed {seen.Count} entries, {acknowledged.Except(seen).Count()} acknowledged ones missing, after {reconnects} reconnects; reader: {reading.Status} {reading.Exception?.InnerException}");
            }
        }

        await stopReading.CancelAsync();
        await reading;

        var ids = seen.ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        // Anything more it showed was committed too (in flight when the load stopped).
        Assert.Equal((long)ids.Length, await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE id = ANY($1)", ids));
    }
}
