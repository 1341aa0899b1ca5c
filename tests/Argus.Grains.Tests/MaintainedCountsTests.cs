using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Grains.Tests;

/// <summary>
/// The maintained counts (<c>audit_counts_hourly</c>, <c>audit_counts_total</c>): kept exact by
/// concurrent writers without deadlocks, rebuilt identically by <c>argus_recount</c>, and the
/// totals and statistics read from them equal to counting the entries, for any range: whole
/// hours, partial hours at either end, less than an hour, open at either end.
/// </summary>
public sealed class MaintainedCountsTests(MaintainedCountsTests.Data data) : IClassFixture<MaintainedCountsTests.Data>
{
    private static readonly DateTimeOffset Start = Data.Start;

    public static TheoryData<string> Filters => ["", "event_type", "status", "event_type+status", "action+actor", "target", "untyped", "resource_type"];

    /// <summary>Ranges as (since, until) in minutes after the first hour (null: open).</summary>
    public static TheoryData<int?, int?> Ranges => new()
    {
        { null, null },
        { 60, null },            // from a whole hour on
        { 75, null },            // from inside an hour
        { null, 240 },           // up to a whole hour
        { null, 222 },           // up to inside an hour
        { 60, 240 },             // whole hours only
        { 37, 290 },             // partial hours at both ends
        { 130, 170 },            // across one hour boundary, no whole hour
        { 130, 131 },            // inside one hour
        { 200, 200 },            // empty
        { -600, 1000 },          // wider than the data
        { 500, null },           // after the data
    };

    [Fact]
    public async Task Concurrent_writers_leave_counts_equal_to_their_entries_grouped()
    {
        Assert.Equal(0, await data.Database.ScalarAsync<long>(Difference(HourlyCounts, HourlyOfEntries)));
        Assert.Equal(0, await data.Database.ScalarAsync<long>(Difference(HourlyOfEntries, HourlyCounts)));
        Assert.Equal(0, await data.Database.ScalarAsync<long>(Difference(TotalCounts, TotalOfEntries)));
        Assert.Equal(0, await data.Database.ScalarAsync<long>(Difference(TotalOfEntries, TotalCounts)));
        Assert.Equal(data.Entries.Count, await data.Database.ScalarAsync<long>("SELECT sum(entries)::bigint FROM audit_counts_total"));
    }

    [Fact]
    public async Task Writers_named_differently_add_to_counts_of_their_own()
    {
        // Four names among the eight writers (see Data): each a stripe, unless two hash alike.
        var stripes = await data.Database.ScalarAsync<long>("SELECT count(DISTINCT stripe) FROM audit_counts_total");
        var expected = await data.Database.ScalarAsync<long>(
            "SELECT count(DISTINCT abs(hashtext('argus-silo:writer-' || w) % 16)) FROM generate_series(0, 3) AS w");

        Assert.Equal(expected, stripes);
        Assert.True(stripes > 1);
    }

    [Fact]
    public async Task A_recount_rebuilds_the_same_counts()
    {
        await using var connection = new NpgsqlConnection(data.Database.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Execute(connection, "CREATE TEMP TABLE kept_hourly ON COMMIT DROP AS " + HourlyCounts);
        await Execute(connection, "CREATE TEMP TABLE kept_total ON COMMIT DROP AS " + TotalCounts);

        await Execute(connection, "SELECT argus_recount()");

        Assert.Equal(0L, await Scalar(connection, $"SELECT count(*) FROM (SELECT * FROM kept_hourly EXCEPT ALL {HourlyCounts}) d"));
        Assert.Equal(0L, await Scalar(connection, $"SELECT count(*) FROM ({HourlyCounts} EXCEPT ALL SELECT * FROM kept_hourly) d"));
        Assert.Equal(0L, await Scalar(connection, $"SELECT count(*) FROM (SELECT * FROM kept_total EXCEPT ALL {TotalCounts}) d"));
        Assert.Equal(0L, await Scalar(connection, $"SELECT count(*) FROM ({TotalCounts} EXCEPT ALL SELECT * FROM kept_total) d"));
        await transaction.RollbackAsync();
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_total_equals_counting_the_entries(string filter, int? since, int? until)
    {
        var query = Query(filter, since, until);

        await using var connection = new NpgsqlConnection(data.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = AuditQuerySql.Count(query).ToCommand(connection);

        Assert.Equal(data.Entries.Count(e => Matches(query, e)), (long)(await command.ExecuteScalarAsync())!);
    }

    public static TheoryData<string, int?, int?> Combinations
    {
        get
        {
            var all = new TheoryData<string, int?, int?>();
            foreach (var filter in Filters)
            {
                foreach (var range in Ranges)
                {
                    all.Add(filter, (int?)range[0], (int?)range[1]);
                }
            }

            return all;
        }
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task Statistics_equal_counting_the_entries(int? since, int? until)
    {
        var query = Query("", since, until);
        var expected = data.Entries.Where(e => Matches(query, e)).ToList();

        var stats = await new AuditReportStore(data.DataSource).StatsAsync(AccessScope.Unrestricted, new AuditStatsQuery { Since = query.Since, Until = query.Until }, CancellationToken.None);

        Assert.Equal(expected.Count, stats.Total);
        Assert.Equal(WireNames.Statuses.ToDictionary(s => s, s => (long)expected.Count(e => e.Status.ToWire() == s)), stats.ByStatus);
        Assert.Equal(WireNames.ActorTypes.ToDictionary(s => s, s => (long)expected.Count(e => e.ActorType.ToWire() == s)), stats.ByActorType);
        Assert.Equal(WireNames.EventActions.ToDictionary(s => s, s => (long)expected.Count(e => e.EventAction?.ToWire() == s)), stats.ByEventAction);
        Assert.Equal(
            expected.Where(e => e.EventType is not null).GroupBy(e => e.EventType!).ToDictionary(g => g.Key, g => (long)g.Count()),
            stats.ByEventType);
        Assert.Equal(
            expected.Where(e => e.ResourceType is not null).GroupBy(e => e.ResourceType!).ToDictionary(g => g.Key, g => (long)g.Count()),
            stats.ByResourceType);
    }

    private const string HourlyCounts =
        "SELECT hour, event_type, event_action, status, actor_type, target_type, resource_type, sum(entries)::bigint FROM audit_counts_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7";

    private const string HourlyOfEntries =
        "SELECT date_trunc('hour', occurred_at, 'UTC'), event_type, event_action, status, actor_type, target_type, resource_type, count(*) FROM audit_logs GROUP BY 1, 2, 3, 4, 5, 6, 7";

    private const string TotalCounts =
        "SELECT event_type, event_action, status, actor_type, target_type, resource_type, sum(entries)::bigint FROM audit_counts_total GROUP BY 1, 2, 3, 4, 5, 6";

    private const string TotalOfEntries =
        "SELECT event_type, event_action, status, actor_type, target_type, resource_type, count(*) FROM audit_logs GROUP BY 1, 2, 3, 4, 5, 6";

    private static string Difference(string left, string right) => $"SELECT count(*) FROM ({left} EXCEPT ALL {right}) d";

    private static AuditQuery Query(string filter, int? since, int? until) => (filter switch
    {
        "event_type" => new AuditQuery { EventType = "EXPORT" },
        "status" => new AuditQuery { Status = AuditStatus.Failure },
        "event_type+status" => new AuditQuery { EventType = "LOGIN", Status = AuditStatus.Failure },
        "action+actor" => new AuditQuery { EventAction = EventAction.Update, ActorType = ActorType.Admin },
        "target" => new AuditQuery { TargetType = TargetType.Service, Status = AuditStatus.Success },
        "untyped" => new AuditQuery { ActorType = ActorType.System, TargetType = TargetType.Resource },
        "resource_type" => new AuditQuery { ResourceType = "Session", Status = AuditStatus.Success },
        _ => new AuditQuery(),
    }) with
    {
        Since = since is { } s ? Start.AddMinutes(s) : null,
        Until = until is { } u ? Start.AddMinutes(u) : null,
    };

    private static bool Matches(AuditQuery query, AuditEntry entry) =>
        (query.EventType is null || query.EventType == entry.EventType)
        && (query.Status is null || query.Status == entry.Status)
        && (query.EventAction is null || query.EventAction == entry.EventAction)
        && (query.ActorType is null || query.ActorType == entry.ActorType)
        && (query.TargetType is null || query.TargetType == entry.TargetType)
        && (query.ResourceType is null || query.ResourceType == entry.ResourceType)
        && (query.Since is null || entry.Timestamp >= query.Since)
        && (query.Until is null || entry.Timestamp < query.Until);


    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// 4,000 entries over five hours, from a small vocabulary (so the same counts are hot), written
    /// through <c>argus_append</c> by one concurrent writer per partition, as silos write. Writers
    /// go by four names, two writers each: the two of a name share their count rows, as two silos
    /// whose names hash alike would, and must still not deadlock.
    /// </summary>
    public sealed class Data : IAsyncLifetime
    {
        public static readonly DateTimeOffset Start = new(2030, 3, 1, 0, 0, 0, TimeSpan.Zero);

        private static readonly string?[] EventTypes = ["LOGIN", "EXPORT", "DATA_FETCH", null];

        private readonly MigratedDatabase database = new();

        public TestDatabase Database => database.Database;

        public NpgsqlDataSource DataSource => database.DataSource;

        public List<AuditEntry> Entries { get; } = [];

        public async Task InitializeAsync()
        {
            await database.InitializeAsync();
            var writers = Enumerable.Range(0, MigratedDatabase.PartitionCount).Select(partition => Task.Run(async () =>
            {
                var named = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { ApplicationName = $"argus-silo:writer-{partition % 4}" };
                await using var dataSource = NpgsqlDataSource.Create(named.ConnectionString);
                var store = new AuditStore(dataSource);
                var random = new Random(partition);
                var written = new List<AuditEntry>();
                for (var batch = 0; batch < 25; batch++)
                {
                    var commit = new CommitBatch { CreatedAt = Start };
                    for (var i = 0; i < 20; i++)
                    {
                        var entry = NewEntry(random);
                        commit.Add(entry, partition, written.Count + 1);
                        written.Add(entry);
                    }

                    commit.AddFence(partition, epoch: 0, expected: written.Count - 20, last: written.Count);
                    await store.CommitAsync(commit, CancellationToken.None);
                }

                return written;
            }));
            foreach (var written in await Task.WhenAll(writers))
            {
                Entries.AddRange(written);
            }

            await Database.ExecuteAsync("ANALYZE audit_logs, audit_counts_hourly, audit_counts_total");
        }

        private static AuditEntry NewEntry(Random random) => new()
        {
            Id = Guid.NewGuid(),
            Timestamp = Start.AddTicks(random.NextInt64(5 * TimeSpan.TicksPerHour) / 10 * 10),
            EventType = EventTypes[random.Next(EventTypes.Length)],
            EventAction = random.Next(5) is var a && a > 0 ? (EventAction)a : null,
            Status = random.Next(4) == 0 ? AuditStatus.Failure : AuditStatus.Success,
            ActorType = (ActorType)(1 + random.Next(4)),
            ActorId = "actor-" + random.Next(50),
            TargetType = (TargetType)(1 + random.Next(2)),
            ResourceType = random.Next(3) switch { 0 => null, 1 => "Session", _ => "Approval" },
        };

        public Task DisposeAsync() => database.DisposeAsync();
    }
}
