using System.Net;
using Argus.Silo.Clustering;
using Orleans;
using Orleans.Runtime;

namespace Argus.Silo.Tests;

/// <summary>
/// The contract of <see cref="IMembershipTable"/> (its xml docs): reads are atomic, every write
/// moves the table version under etags and wins whole or changes nothing.
/// </summary>
public sealed class PostgresMembershipTableTests(MembershipDatabase db) : IClassFixture<MembershipDatabase>
{
    // Whole microseconds: what timestamptz keeps of a DateTime.
    private static readonly DateTime Now = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(6_789_010);

    [Fact]
    public async Task An_inserted_row_reads_back_whole_with_the_moved_version()
    {
        var table = await InitializedTableAsync();
        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        var entry = Entry(Silo(1), SiloStatus.Joining);
        Assert.True(await table.InsertRowAsync(entry, empty.Version.Next()));

        var all = await table.ReadAllAsync();
        Assert.Equal(1, all.Version.Version);
        Assert.NotEqual(empty.Version.VersionEtag, all.Version.VersionEtag);
        var (read, etag) = Assert.Single(all.Members);
        AssertSameEntry(entry, read);
        Assert.False(string.IsNullOrEmpty(etag));

        var row = await table.ReadRowAsync(entry.SiloAddress);
        Assert.Equal(all.Version, row.Version);
        var (rowEntry, rowEtag) = Assert.Single(row.Members);
        AssertSameEntry(entry, rowEntry);
        Assert.Equal(etag, rowEtag);

        var missing = await table.ReadRowAsync(Silo(2));
        Assert.Empty(missing.Members);
        Assert.Equal(all.Version, missing.Version);
    }

    [Fact]
    public async Task Inserting_a_silo_that_is_already_there_fails_and_moves_nothing()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var before = await table.ReadAllAsync();

        Assert.False(await table.InsertRowAsync(Entry(Silo(1), SiloStatus.Active), before.Version.Next()));

        AssertSameTable(before, await table.ReadAllAsync());
    }

    [Fact]
    public async Task Inserting_on_a_stale_table_version_fails_and_changes_nothing()
    {
        var table = await InitializedTableAsync();
        var stale = (await table.ReadAllAsync()).Version;
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var before = await table.ReadAllAsync();

        Assert.False(await table.InsertRowAsync(Entry(Silo(2), SiloStatus.Joining), stale.Next()));
        Assert.False(await table.InsertRowAsync(Entry(Silo(2), SiloStatus.Joining), new TableVersion(before.Version.Version + 1, "not an etag")));

        AssertSameTable(before, await table.ReadAllAsync());
    }

    [Fact]
    public async Task Updating_on_a_stale_table_version_fails_and_changes_nothing()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var read = await table.ReadAllAsync();
        var (entry, etag) = read.Members[0];
        await InsertAsync(table, Entry(Silo(2), SiloStatus.Joining));
        var before = await table.ReadAllAsync();

        Assert.False(await table.UpdateRowAsync(With(entry, SiloStatus.Active), etag, read.Version.Next()));

        AssertSameTable(before, await table.ReadAllAsync());
    }

    [Fact]
    public async Task Updating_on_a_stale_row_etag_fails_and_changes_nothing()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var first = await table.ReadAllAsync();
        var (entry, staleEtag) = first.Members[0];
        Assert.True(await table.UpdateRowAsync(With(entry, SiloStatus.Active), staleEtag, first.Version.Next()));
        var before = await table.ReadAllAsync();
        Assert.NotEqual(staleEtag, before.Members[0].Item2);

        Assert.False(await table.UpdateRowAsync(With(entry, SiloStatus.Dead), staleEtag, before.Version.Next()));

        AssertSameTable(before, await table.ReadAllAsync());
        Assert.Equal(SiloStatus.Active, before.Members[0].Item1.Status);
    }

    [Fact]
    public async Task Updating_a_silo_that_is_not_there_fails_and_changes_nothing()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var before = await table.ReadAllAsync();

        Assert.False(await table.UpdateRowAsync(Entry(Silo(2), SiloStatus.Active), before.Members[0].Item2, before.Version.Next()));

        AssertSameTable(before, await table.ReadAllAsync());
    }

    [Fact]
    public async Task An_update_replaces_the_whole_entry_and_moves_the_row_etag_and_the_version()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var before = await table.ReadAllAsync();
        var (entry, etag) = before.Members[0];
        var replacement = Entry(Silo(1), SiloStatus.Active, proxyPort: 40001, votes: [Tuple.Create(Silo(7), Now)]);
        replacement.SiloName = "renamed";
        replacement.HostName = "elsewhere";
        replacement.RoleName = null;
        replacement.UpdateZone = 0;
        replacement.FaultZone = 0;
        replacement.StartTime = Now.AddMinutes(1);
        replacement.IAmAliveTime = Now.AddMinutes(2);

        Assert.True(await table.UpdateRowAsync(replacement, etag, before.Version.Next()));

        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version + 1, after.Version.Version);
        Assert.NotEqual(before.Version.VersionEtag, after.Version.VersionEtag);
        var (read, newEtag) = Assert.Single(after.Members);
        AssertSameEntry(replacement, read);
        Assert.NotEqual(etag, newEtag);
    }

    [Fact]
    public async Task Of_concurrent_updates_on_the_same_etags_exactly_one_wins()
    {
        const int Writers = 6;
        var clusterId = MembershipDatabase.NewClusterId();
        var table = await InitializedTableAsync(clusterId);
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var read = await table.ReadAllAsync();
        var (entry, etag) = read.Members[0];

        bool[] won;
        await using (var held = await HeldLock.TakeAsync(db.DataSource, "SELECT FROM argus_membership WHERE cluster_id = $1 FOR UPDATE", clusterId))
        {
            var updates = Enumerable.Range(0, Writers).Select(i =>
            {
                var update = With(entry, SiloStatus.Active);
                update.SiloName = "writer-" + i;
                return Task.Run(() => table.UpdateRowAsync(update, etag, read.Version.Next()));
            }).ToList();
            await held.WaitForWaitersAsync(Writers);
            await held.CommitAsync();
            won = await Task.WhenAll(updates);
        }

        var winner = Assert.Single(Enumerable.Range(0, Writers), i => won[i]);
        var after = await table.ReadAllAsync();
        Assert.Equal(read.Version.Version + 1, after.Version.Version);
        Assert.Equal("writer-" + winner, after.Members[0].Item1.SiloName);
    }

    [Fact]
    public async Task Of_concurrent_inserts_on_the_same_table_version_exactly_one_wins()
    {
        const int Writers = 6;
        var clusterId = MembershipDatabase.NewClusterId();
        var table = await InitializedTableAsync(clusterId);
        var read = await table.ReadAllAsync();

        bool[] won;
        await using (var held = await HeldLock.TakeAsync(db.DataSource, "SELECT FROM argus_membership_versions WHERE cluster_id = $1 FOR UPDATE", clusterId))
        {
            var inserts = Enumerable.Range(0, Writers)
                .Select(i => Task.Run(() => table.InsertRowAsync(Entry(Silo(i + 1), SiloStatus.Joining), read.Version.Next())))
                .ToList();
            await held.WaitForWaitersAsync(Writers);
            await held.CommitAsync();
            won = await Task.WhenAll(inserts);
        }

        var winner = Assert.Single(Enumerable.Range(0, Writers), i => won[i]);
        var after = await table.ReadAllAsync();
        Assert.Equal(1, after.Version.Version);
        Assert.Equal(Silo(winner + 1), Assert.Single(after.Members).Item1.SiloAddress);
    }

    [Fact]
    public async Task I_am_alive_changes_the_alive_time_only()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Active));
        await InsertAsync(table, Entry(Silo(2), SiloStatus.Active));
        var before = await table.ReadAllAsync();

        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = Silo(1), IAmAliveTime = Now.AddMinutes(5) });

        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version, after.Version);
        var expected = before.Members.ToDictionary(m => m.Item1.SiloAddress);
        expected[Silo(1)].Item1.IAmAliveTime = Now.AddMinutes(5);
        foreach (var (entry, etag) in after.Members)
        {
            AssertSameEntry(expected[entry.SiloAddress].Item1, entry);
            Assert.Equal(expected[entry.SiloAddress].Item2, etag);
        }
    }

    [Fact]
    public async Task An_update_read_before_a_heartbeat_does_not_take_the_alive_time_back()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Active));
        var read = await table.ReadAllAsync();
        var (entry, etag) = read.Members[0];
        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = Silo(1), IAmAliveTime = Now.AddMinutes(5) });

        // A vote read before the heartbeat: same etag, the older alive time.
        var vote = With(entry, SiloStatus.Active);
        vote.AddSuspector(Silo(2), Now.AddMinutes(1));
        Assert.True(await table.UpdateRowAsync(vote, etag, read.Version.Next()));

        var after = Assert.Single((await table.ReadAllAsync()).Members).Item1;
        Assert.Equal(Now.AddMinutes(5), after.IAmAliveTime);
        Assert.Single(after.SuspectTimes!);
    }

    [Fact]
    public async Task Suspect_times_round_trip()
    {
        var table = await InitializedTableAsync();
        List<Tuple<SiloAddress, DateTime>> votes =
        [
            Tuple.Create(Silo(2), Now.AddSeconds(-30)),
            Tuple.Create(SiloAddress.New(IPAddress.IPv6Loopback, 11111, 42), Now),
        ];
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Active, votes: votes));

        var read = await table.ReadAllAsync();
        AssertSameEntry(Entry(Silo(1), SiloStatus.Active, votes: votes), read.Members[0].Item1);

        var (entry, etag) = read.Members[0];
        var more = With(entry, SiloStatus.Active);
        more.AddOrUpdateSuspector(Silo(3), Now.AddSeconds(1), maxVotes: 3);
        Assert.True(await table.UpdateRowAsync(more, etag, read.Version.Next()));
        AssertSameEntry(more, (await table.ReadRowAsync(Silo(1))).Members[0].Item1);

        // An entry without votes (null) reads back with none.
        await InsertAsync(table, Entry(Silo(4), SiloStatus.Active, votes: null));
        Assert.Empty((await table.ReadRowAsync(Silo(4))).Members[0].Item1.SuspectTimes!);
    }

    [Fact]
    public async Task Clusters_stay_apart()
    {
        var a = await InitializedTableAsync();
        var b = await InitializedTableAsync();
        // The same silo address in both: a cluster id is part of every key.
        await InsertAsync(a, Entry(Silo(1), SiloStatus.Active));
        await InsertAsync(b, Entry(Silo(1), SiloStatus.Joining));
        await InsertAsync(b, Entry(Silo(2), SiloStatus.Joining));

        var inA = await a.ReadAllAsync();
        var inB = await b.ReadAllAsync();
        Assert.Equal(SiloStatus.Active, Assert.Single(inA.Members).Item1.Status);
        Assert.Equal(1, inA.Version.Version);
        Assert.Equal(2, inB.Members.Count);
        Assert.All(inB.Members, m => Assert.Equal(SiloStatus.Joining, m.Item1.Status));
        Assert.Equal(2, inB.Version.Version);

        // A's version etag does not open B's table.
        Assert.False(await b.InsertRowAsync(Entry(Silo(3), SiloStatus.Joining), new TableVersion(3, inA.Version.VersionEtag)));
        await a.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = Silo(1), IAmAliveTime = Now.AddHours(1) });
        AssertSameTable(inB, await b.ReadAllAsync());
    }

    [Fact]
    public async Task Cleanup_removes_only_dead_rows_last_heard_of_before_the_date()
    {
        var table = await InitializedTableAsync();
        var other = await InitializedTableAsync();
        var old = Now.AddHours(-2);
        var recent = Now.AddHours(1);
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Dead, alive: old));
        await InsertAsync(table, Entry(Silo(2), SiloStatus.Dead, alive: recent));
        await InsertAsync(table, Entry(Silo(3), SiloStatus.Active, alive: old));
        await InsertAsync(table, Entry(Silo(4), SiloStatus.Joining, alive: old));
        // Declared dead recently: the vote is its latest sign of life.
        await InsertAsync(table, Entry(Silo(5), SiloStatus.Dead, alive: old, votes: [Tuple.Create(Silo(2), recent)]));
        await InsertAsync(other, Entry(Silo(1), SiloStatus.Dead, alive: old));
        var otherBefore = await other.ReadAllAsync();

        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(Now));

        var left = (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        Assert.Equal([Silo(2), Silo(3), Silo(4), Silo(5)], left.OrderBy(s => s.Endpoint.Port));
        AssertSameTable(otherBefore, await other.ReadAllAsync());
    }

    [Fact]
    public async Task Deleting_a_cluster_removes_its_rows_and_version_only()
    {
        var doomedId = MembershipDatabase.NewClusterId();
        var doomed = await InitializedTableAsync(doomedId);
        var kept = await InitializedTableAsync();
        await InsertAsync(doomed, Entry(Silo(1), SiloStatus.Active));
        await InsertAsync(kept, Entry(Silo(1), SiloStatus.Active));
        var staleVersion = (await doomed.ReadAllAsync()).Version;
        var keptBefore = await kept.ReadAllAsync();

        await kept.DeleteMembershipTableEntriesAsync(doomedId);

        var gone = await doomed.ReadAllAsync();
        Assert.Empty(gone.Members);
        Assert.Equal(PostgresMembershipTable.NoVersionEtag, gone.Version.VersionEtag);
        Assert.Equal(0L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM argus_membership WHERE cluster_id = $1", doomedId));
        AssertSameTable(keptBefore, await kept.ReadAllAsync());

        // Created again, the cluster hands out new etags: one read before the delete matches nothing.
        await doomed.InitializeMembershipTableAsync(true);
        Assert.NotEqual(staleVersion.VersionEtag, (await doomed.ReadAllAsync()).Version.VersionEtag);
        Assert.False(await doomed.InsertRowAsync(Entry(Silo(1), SiloStatus.Joining), staleVersion.Next()));
    }

    [Fact]
    public async Task Initializing_again_keeps_the_version_and_the_rows()
    {
        var table = await InitializedTableAsync();
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Active));
        var before = await table.ReadAllAsync();

        await table.InitializeMembershipTableAsync(true);
        await table.InitializeMembershipTableAsync(false);

        AssertSameTable(before, await table.ReadAllAsync());
    }

    [Fact]
    public async Task Silos_initializing_together_create_one_version()
    {
        const int Silos = 6;
        var clusterId = MembershipDatabase.NewClusterId();
        var tables = Enumerable.Range(0, Silos).Select(_ => db.Table(clusterId)).ToList();

        // An uncommitted version row that is rolled back: every initializer waits on it, then
        // they race each other for the real one.
        await using (var held = await HeldLock.TakeAsync(db.DataSource, "INSERT INTO argus_membership_versions (cluster_id, version) VALUES ($1, 0)", clusterId))
        {
            var inits = tables.Select(t => Task.Run(() => t.InitializeMembershipTableAsync(true))).ToList();
            await held.WaitForWaitersAsync(Silos);
            await held.RollbackAsync();
            await Task.WhenAll(inits);
        }

        Assert.Equal(1L, await db.Database.ScalarAsync<long>("SELECT count(*) FROM argus_membership_versions WHERE cluster_id = $1", clusterId));
        var version = (await tables[0].ReadAllAsync()).Version;
        Assert.Equal(0, version.Version);
        Assert.True(await tables[1].InsertRowAsync(Entry(Silo(1), SiloStatus.Joining), version.Next()));
    }

    private async Task<PostgresMembershipTable> InitializedTableAsync(string? clusterId = null)
    {
        var table = db.Table(clusterId ?? MembershipDatabase.NewClusterId());
        await table.InitializeMembershipTableAsync(true);
        return table;
    }

    private static async Task InsertAsync(IMembershipTable table, MembershipEntry entry)
    {
        var version = (await table.ReadAllAsync()).Version;
        Assert.True(await table.InsertRowAsync(entry, version.Next()), $"insert of {entry.SiloAddress} at {version}");
    }

    private static SiloAddress Silo(int n) => SiloAddress.New(IPAddress.Loopback, 11110 + n, 1000 + n);

    private static MembershipEntry Entry(
        SiloAddress silo, SiloStatus status, int proxyPort = 30000, DateTime? alive = null, List<Tuple<SiloAddress, DateTime>>? votes = null) => new()
    {
        SiloAddress = silo,
        Status = status,
        SiloName = "silo-" + silo.Endpoint.Port,
        HostName = "host-" + silo.Endpoint.Port,
        ProxyPort = proxyPort,
        RoleName = "Argus.Silo",
        UpdateZone = 2,
        FaultZone = 3,
        SuspectTimes = votes,
        StartTime = (alive ?? Now).AddMinutes(-10),
        IAmAliveTime = alive ?? Now,
    };

    private static MembershipEntry With(MembershipEntry entry, SiloStatus status) => new()
    {
        SiloAddress = entry.SiloAddress,
        Status = status,
        SiloName = entry.SiloName,
        HostName = entry.HostName,
        ProxyPort = entry.ProxyPort,
        RoleName = entry.RoleName,
        UpdateZone = entry.UpdateZone,
        FaultZone = entry.FaultZone,
        SuspectTimes = entry.SuspectTimes is null ? null : [.. entry.SuspectTimes],
        StartTime = entry.StartTime,
        IAmAliveTime = entry.IAmAliveTime,
    };

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.SiloAddress, actual.SiloAddress);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.ProxyPort, actual.ProxyPort);
        Assert.Equal(expected.RoleName, actual.RoleName);
        Assert.Equal(expected.UpdateZone, actual.UpdateZone);
        Assert.Equal(expected.FaultZone, actual.FaultZone);
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(DateTimeKind.Utc, actual.StartTime.Kind);
        Assert.Equal(expected.IAmAliveTime, actual.IAmAliveTime);
        Assert.Equal(
            (expected.SuspectTimes ?? []).Select(v => (v.Item1, v.Item2)),
            (actual.SuspectTimes ?? []).Select(v => (v.Item1, v.Item2)));
    }

    private static void AssertSameTable(MembershipTableData expected, MembershipTableData actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Members.Count, actual.Members.Count);
        var byAddress = actual.Members.ToDictionary(m => m.Item1.SiloAddress);
        foreach (var (entry, etag) in expected.Members)
        {
            Assert.True(byAddress.TryGetValue(entry.SiloAddress, out var other), $"{entry.SiloAddress} is still there");
            AssertSameEntry(entry, other.Item1);
            Assert.Equal(etag, other.Item2);
        }
    }
}
