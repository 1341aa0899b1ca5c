using Argus.Grains.Integrity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Argus.Grains.Tests;

/// <summary>
/// Heads checkpoints on a schedule, three silos' schedules on one real database, time driven by one
/// fake clock: one checkpoint per interval for the cluster, none while no head moves, and the
/// interval counted from the newest checkpoint, made on demand or not. Each schedule's
/// <see cref="CheckpointSchedule.NextSleep"/> is the barrier: awaited after the clock moves, it
/// says the schedule has decided and gone back to sleep.
/// </summary>
public sealed class CheckpointScheduleTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly MigratedDatabase db = new();
    private readonly FakeTimeProvider time = new(Start);
    private readonly string keyDirectory = Path.Combine(Path.GetTempPath(), "argus-schedule-" + Guid.NewGuid().ToString("N"));
    private CheckpointKey key = null!;
    private CheckpointStore store = null!;
    private List<CheckpointSchedule> silos = [];

    public async Task InitializeAsync()
    {
        await db.InitializeAsync();
        key = new CheckpointKey(Microsoft.Extensions.Options.Options.Create(new IntegrityOptions { SigningKeyFile = Path.Combine(keyDirectory, "key.pem") }), NullLogger<CheckpointKey>.Instance);
        store = new CheckpointStore(db.DataSource);
        var options = Microsoft.Extensions.Options.Options.Create(new IntegrityOptions { CheckpointInterval = Interval });
        silos = Enumerable.Range(0, 3)
            .Select(_ => new CheckpointSchedule(
                new HeadsCheckpoints(store, key, options, time, NullLogger<HeadsCheckpoints>.Instance), options, time, NullLogger<CheckpointSchedule>.Instance))
            .ToList();
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in silos)
        {
            await silo.StopAsync(CancellationToken.None);
        }

        key.Dispose();
        await db.DisposeAsync();
        Directory.Delete(keyDirectory, recursive: true);
    }

    [Fact]
    public async Task Three_silos_make_one_checkpoint_per_interval_and_none_while_no_head_moves()
    {
        // Nothing stored yet: nothing to vouch for.
        var sleeps = await AfterAsync(() => Task.WhenAll(silos.Select(s => s.StartAsync(CancellationToken.None))), "start");
        Assert.All(sleeps, sleep => Assert.Equal(Interval, sleep));
        Assert.Empty(await HeadsCheckpointsAsync());

        // A head moves; half an interval later nothing is due, so no schedule even wakes.
        await MoveHeadAsync(partition: 2, seq: 7);
        time.Advance(Interval / 2);
        Assert.Empty(await HeadsCheckpointsAsync());

        // At the interval every silo wakes: one checkpoint, and every silo sleeps a whole interval from it.
        sleeps = await AfterAsync(() => time.Advance(Interval / 2), "the first interval");
        Assert.All(sleeps, sleep => Assert.Equal(Interval, sleep));
        var first = Assert.Single(await HeadsCheckpointsAsync());
        Assert.Equal(Start + Interval, first.CreatedAt);
        Assert.True(first.IsSignedBy(key.Key!));
        var head = Assert.Single(first.Heads());
        Assert.Equal((2, 7L), (head.Partition, head.Seq));
        Assert.Equal(Hash(2, 7), head.Hash);

        // No head moved in the next interval: none made, and the next check an interval on.
        sleeps = await AfterAsync(() => time.Advance(Interval), "an interval without moves");
        Assert.All(sleeps, sleep => Assert.Equal(Interval, sleep));
        Assert.Single(await HeadsCheckpointsAsync());

        // Two heads moved: the next interval records both.
        await MoveHeadAsync(partition: 2, seq: 9);
        await MoveHeadAsync(partition: 5, seq: 1);
        await AfterAsync(() => time.Advance(Interval), "an interval with moves");
        var all = await HeadsCheckpointsAsync();
        Assert.Equal(2, all.Count);
        Assert.Equal(Start + (3 * Interval), all[0].CreatedAt);
        Assert.Equal(new[] { (2, 9L), (5, 1L) }, all[0].Heads().Select(h => (h.Partition, h.Seq)));
    }

    [Fact]
    public async Task A_checkpoint_made_on_demand_puts_the_next_one_an_interval_after_it()
    {
        await MoveHeadAsync(partition: 0, seq: 1);
        await AfterAsync(() => Task.WhenAll(silos.Select(s => s.StartAsync(CancellationToken.None))), "start");
        Assert.Single(await HeadsCheckpointsAsync());

        // Made on demand half an interval after the first, whether or not a head moved.
        time.Advance(Interval / 2);
        var onDemand = await new HeadsCheckpoints(store, key, Microsoft.Extensions.Options.Options.Create(new IntegrityOptions { CheckpointInterval = Interval }), time, NullLogger<HeadsCheckpoints>.Instance)
            .MakeAsync(CancellationToken.None);
        Assert.Equal(Start + (Interval / 2), onDemand.CreatedAt);

        // The schedules wake at the first's interval, find the newest younger than that and sleep until its own.
        await MoveHeadAsync(partition: 0, seq: 2);
        var sleeps = await AfterAsync(() => time.Advance(Interval / 2), "the first's interval");
        Assert.All(sleeps, sleep => Assert.Equal(Interval / 2, sleep));
        Assert.Equal(2, (await HeadsCheckpointsAsync()).Count);

        await AfterAsync(() => time.Advance(Interval / 2), "the on-demand one's interval");
        var newest = (await HeadsCheckpointsAsync())[0];
        Assert.Equal(Start + (Interval * 1.5), newest.CreatedAt);
        Assert.Equal(2, Assert.Single(newest.Heads()).Seq);
    }

    /// <summary>Runs <paramref name="trigger"/> and waits until every schedule has gone back to sleep; returns how long each sleeps.</summary>
    private async Task<TimeSpan[]> AfterAsync(Func<Task> trigger, string phase)
    {
        var sleeps = silos.Select(s => s.NextSleep).ToList();
        await trigger();
        try
        {
            return await Task.WhenAll(sleeps).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            var waiting = sleeps.Select((s, i) => (s, i)).Where(p => !p.s.IsCompleted).Select(p => p.i);
            throw new TimeoutException($"after {phase}: schedules [{string.Join(", ", waiting)}] did not go back to sleep within 30 s");
        }
    }

    private Task<TimeSpan[]> AfterAsync(Action trigger, string phase) => AfterAsync(() =>
    {
        trigger();
        return Task.CompletedTask;
    }, phase);

    private Task<List<Checkpoint>> HeadsCheckpointsAsync() => store.ListAsync(Checkpoint.HeadsKind, null, 100, CancellationToken.None);

    private Task MoveHeadAsync(int partition, long seq) =>
        db.Database.ExecuteAsync("UPDATE argus_partitions SET last_seq = $2, head_hash = $3 WHERE partition_id = $1", partition, seq, Hash(partition, seq));

    private static byte[] Hash(int partition, long seq) => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes((partition * 1_000_000L) + seq));
}
