using System.Reflection;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions.Validation;
using Argus.Grains.Storage;

namespace Argus.Grains.Tests;

/// <summary>
/// Entries filtered in memory as they are committed must be exactly the ones a read of the same
/// query returns: every filter alone, its boundaries, and the matcher against the page statement
/// on a log of varied entries.
/// </summary>
public sealed class AuditQueryMatchTests(AuditQueryMatchTests.Log log) : IClassFixture<AuditQueryMatchTests.Log>
{
    /// <summary>
    /// Every equality filter of <see cref="AuditQuery"/>, the caller's scope included, as the query
    /// asking for the value a given entry has (unset where the entry has none).
    /// </summary>
    private static readonly Dictionary<string, Func<AuditEntry, AuditQuery, AuditQuery>> Equalities = new()
    {
        [nameof(AuditQuery.TraceId)] = (e, q) => q with { TraceId = e.TraceId },
        [nameof(AuditQuery.EventType)] = (e, q) => q with { EventType = e.EventType },
        [nameof(AuditQuery.EventAction)] = (e, q) => q with { EventAction = e.EventAction },
        [nameof(AuditQuery.Status)] = (e, q) => q with { Status = e.Status },
        [nameof(AuditQuery.ActorType)] = (e, q) => q with { ActorType = e.ActorType },
        [nameof(AuditQuery.ActorId)] = (e, q) => q with { ActorId = e.ActorId },
        [nameof(AuditQuery.TargetType)] = (e, q) => q with { TargetType = e.TargetType },
        [nameof(AuditQuery.TargetId)] = (e, q) => q with { TargetId = e.TargetId },
        [nameof(AuditQuery.Source)] = (e, q) => q with { Source = e.Source },
        [nameof(AuditQuery.TenantId)] = (e, q) => q with { TenantId = e.TenantId },
        [nameof(AuditQuery.RequestId)] = (e, q) => q with { RequestId = e.RequestId },
        [nameof(AuditQuery.IpAddress)] = (e, q) => q with { IpAddress = e.IpAddress },
        [nameof(AuditQuery.HttpMethod)] = (e, q) => q with { HttpMethod = e.HttpMethod },
        [nameof(AuditQuery.HttpPath)] = (e, q) => q with { HttpPath = e.HttpPath },
        [nameof(AuditQuery.HttpStatus)] = (e, q) => q with { HttpStatus = e.HttpStatus },
        [nameof(AuditQuery.PartnerId)] = (e, q) => q with { PartnerId = e.PartnerId },
        [nameof(AuditQuery.ActorEmail)] = (e, q) => q with { ActorEmail = e.ActorEmail },
        [nameof(AuditQuery.ResourceType)] = (e, q) => q with { ResourceType = e.ResourceType },
        [nameof(AuditQuery.Scope)] = (e, q) => q with { Scope = AccessScope.OfTenant(e.TenantId) },
    };

    /// <summary>The time range, tested at its boundaries below.</summary>
    private static readonly string[] TimeRange = [nameof(AuditQuery.Since), nameof(AuditQuery.Until)];

    /// <summary>What chooses among the matches rather than deciding them.</summary>
    private static readonly string[] Paging = [nameof(AuditQuery.Limit), nameof(AuditQuery.Offset), nameof(AuditQuery.Cursor), nameof(AuditQuery.IncludeTotal)];

    private static readonly DateTimeOffset Time = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private static readonly AuditEntry Sample = new()
    {
        Id = Guid.Parse("018f4c5e-0000-7000-8000-000000000001"),
        TraceId = Guid.Parse("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"),
        Timestamp = Time,
        EventType = "USER_MANAGEMENT",
        EventAction = EventAction.Update,
        Status = AuditStatus.Failure,
        ActorType = ActorType.Admin,
        ActorId = "josé",
        TargetType = TargetType.Resource,
        TargetId = "user-42",
        Source = "urn:iam-api",
        TenantId = "tenant-a",
        RequestId = "req-1",
        IpAddress = "2001:db8::1",
        HttpMethod = "PATCH",
        HttpPath = "/v1/users/42",
        HttpStatus = 403,
        PartnerId = "partner-1",
        ActorEmail = "ana@example.com",
        ResourceType = "User",
    };

    /// <summary>Differs from <see cref="Sample"/> in every field, most of them by as little as Postgres tells apart.</summary>
    private static readonly AuditEntry Other = Sample with
    {
        Id = Guid.Parse("018f4c5e-0000-7000-8000-000000000002"),
        TraceId = Guid.Parse("4bf92f35-77b3-4da6-a3ce-929d0e0e4737"),
        EventType = "user_management",
        EventAction = EventAction.Read,
        Status = AuditStatus.Success,
        ActorType = ActorType.Member,
        ActorId = "jose\u0301",
        TargetType = TargetType.Service,
        TargetId = "user-42 ",
        Source = "urn:IAM-api",
        TenantId = "Tenant-A",
        RequestId = "req-2",
        IpAddress = "2001:db8::2",
        HttpMethod = "PUT",
        HttpPath = "/v1/users/42/",
        HttpStatus = 404,
        PartnerId = "partner-2",
        ActorEmail = "Ana@example.com",
        ResourceType = "user",
    };

    /// <summary>Only the fields an entry must have.</summary>
    private static readonly AuditEntry Bare = new()
    {
        Id = Sample.Id,
        Timestamp = Sample.Timestamp,
        Status = Sample.Status,
        ActorType = Sample.ActorType,
        ActorId = Sample.ActorId,
        TargetType = Sample.TargetType,
    };

    public static TheoryData<string> EqualityFilters => new(Equalities.Keys);

    /// <summary>The filters on fields that <see cref="Bare"/> does not have.</summary>
    public static TheoryData<string> OptionalFields => new(Equalities.Keys.Where(name => Equalities[name](Bare, new AuditQuery()) == new AuditQuery()));

    [Fact]
    public void Every_property_of_AuditQuery_is_a_filter_tested_here_or_paging()
    {
        var properties = typeof(AuditQuery).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name);

        Assert.Equal(properties.Order(StringComparer.Ordinal), Equalities.Keys.Concat(TimeRange).Concat(Paging).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_SQL_conditions_are_the_filters_tested_here_and_paging_is_not_one()
    {
        Assert.Empty(Equalities.Where(e => AuditFilters.Of(e.Value(Sample, new AuditQuery())).Count(f => f.Value is not null) != 1).Select(e => e.Key));
        Assert.Single(AuditFilters.Of(new AuditQuery { Since = Time }), f => f.Value is not null);
        Assert.Single(AuditFilters.Of(new AuditQuery { Until = Time }), f => f.Value is not null);
        Assert.All(AuditFilters.Of(new AuditQuery { Limit = 7, Offset = 3, Cursor = "c", IncludeTotal = true }), f => Assert.Null(f.Value));
    }

    [Theory]
    [MemberData(nameof(EqualityFilters))]
    public void A_filter_matches_its_value_and_not_a_different_one(string filter)
    {
        Assert.True(Equalities[filter](Sample, new AuditQuery()).Matches(Sample));
        Assert.False(Equalities[filter](Other, new AuditQuery()).Matches(Sample));
        Assert.True(Equalities[filter](Other, new AuditQuery()).Matches(Other));
    }

    [Theory]
    [MemberData(nameof(OptionalFields))]
    public void A_filter_never_matches_an_entry_without_that_field(string filter)
    {
        Assert.False(Equalities[filter](Sample, new AuditQuery()).Matches(Bare));
    }

    [Fact]
    public void Every_filter_at_once_matches_only_its_entry()
    {
        var all = Equalities.Values.Aggregate(new AuditQuery { Since = Time, Until = Time.AddTicks(10) }, (query, filter) => filter(Sample, query));

        Assert.True(all.Matches(Sample));
        Assert.False(all.Matches(Other));
        Assert.False(all.Matches(Bare));
    }

    [Fact]
    public void An_empty_query_and_paging_match_every_entry()
    {
        var paging = new AuditQuery { Limit = 1, Offset = 50, Cursor = "not-a-cursor", IncludeTotal = true };

        Assert.All(new[] { Sample, Other, Bare }, entry => Assert.True(new AuditQuery().Matches(entry) && paging.Matches(entry)));
    }

    [Fact]
    public void Since_is_inclusive_and_Until_exclusive()
    {
        var microsecond = TimeSpan.FromTicks(TimeSpan.TicksPerMicrosecond);

        Assert.True(new AuditQuery { Since = Time }.Matches(Sample));
        Assert.False(new AuditQuery { Since = Time + microsecond }.Matches(Sample));
        Assert.True(new AuditQuery { Until = Time + microsecond }.Matches(Sample));
        Assert.False(new AuditQuery { Until = Time }.Matches(Sample));
        Assert.True(new AuditQuery { Since = Time, Until = Time + microsecond }.Matches(Sample));
        Assert.False(new AuditQuery { Since = Time, Until = Time }.Matches(Sample));
        Assert.False(new AuditQuery { Since = Time + microsecond, Until = Time }.Matches(Sample));
    }

    [Fact]
    public void A_bound_is_an_instant_whatever_its_offset()
    {
        var plusTwo = Time.ToOffset(TimeSpan.FromHours(2));

        Assert.True(new AuditQuery { Since = plusTwo }.Matches(Sample));
        Assert.False(new AuditQuery { Until = plusTwo }.Matches(Sample));
        Assert.True(new AuditQuery { Since = Time.ToOffset(TimeSpan.FromHours(-11)) }.Matches(Sample with { Timestamp = plusTwo }));
    }

    [Fact]
    public void Times_finer_than_a_microsecond_compare_as_Postgres_receives_them()
    {
        // Npgsql drops the ticks below a microsecond, of the stored time and of the bounds alike.
        Assert.True(new AuditQuery { Since = Time.AddTicks(7) }.Matches(Sample with { Timestamp = Time.AddTicks(3) }));
        Assert.False(new AuditQuery { Until = Time.AddTicks(7) }.Matches(Sample with { Timestamp = Time.AddTicks(3) }));
        Assert.False(new AuditQuery { Until = Time.AddTicks(9) }.Matches(Sample));

        // Towards 2000-01-01, Postgres's origin: a time just before it becomes 2000-01-01 itself.
        var origin = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.True(new AuditQuery { Since = origin }.Matches(Sample with { Timestamp = origin.AddTicks(-5) }));
        Assert.False(new AuditQuery { Until = origin }.Matches(Sample with { Timestamp = origin.AddTicks(-5) }));
        Assert.True(new AuditQuery { Until = origin }.Matches(Sample with { Timestamp = origin.AddTicks(-10) }));
    }

    [Fact]
    public void The_extreme_times_are_the_infinities_Postgres_receives()
    {
        var latest = Rfc3339.TruncateToMicroseconds(DateTimeOffset.MaxValue);

        Assert.True(new AuditQuery { Since = DateTimeOffset.MinValue, Until = DateTimeOffset.MaxValue }.Matches(Sample with { Timestamp = latest }));
        Assert.False(new AuditQuery { Since = DateTimeOffset.MaxValue }.Matches(Sample with { Timestamp = latest }));
        Assert.True(new AuditQuery { Since = DateTimeOffset.MaxValue }.Matches(Sample with { Timestamp = DateTimeOffset.MaxValue }));
        Assert.False(new AuditQuery { Until = DateTimeOffset.MinValue }.Matches(Sample with { Timestamp = DateTimeOffset.MinValue }));
    }

    [Theory]
    [InlineData("2001:db8::1", "2001:DB8:0:0:0:0:0:1", true)]
    [InlineData("2001:db8::1", "2001:0db8::0001", true)]
    [InlineData("::ffff:10.0.0.1", "::FFFF:a00:1", true)]
    [InlineData("10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "::ffff:10.0.0.1", false)]
    [InlineData("10.0.0.1", "10.0.0.10", false)]
    [InlineData("::1", "0.0.0.1", false)]
    public void Addresses_compare_as_inet_values(string stored, string filter, bool matches)
    {
        Assert.Equal(matches, new AuditQuery { IpAddress = filter }.Matches(Sample with { IpAddress = stored }));
    }

    [Fact]
    public void The_scope_is_one_more_tenant_condition()
    {
        var scoped = new AuditQuery { Scope = AccessScope.OfTenant("tenant-a") };

        Assert.True(scoped.Matches(Sample));
        Assert.False(scoped.Matches(Other));
        Assert.False(scoped.Matches(Bare));
        Assert.True((scoped with { TenantId = "tenant-a" }).Matches(Sample));
        Assert.False((scoped with { TenantId = "Tenant-A" }).Matches(Other));
        Assert.False((scoped with { Status = AuditStatus.Success }).Matches(Sample));
    }

    [Fact]
    public async Task The_matcher_selects_exactly_the_entries_the_page_statement_returns()
    {
        var queries = ParityQueries(log.Entries);
        var differences = new List<string>();
        var partial = 0;
        foreach (var query in queries)
        {
            var read = await ReadAllAsync(query);
            var matched = log.Entries.Where(query.Matches).Select(e => e.Id).ToList();
            Assert.Equal(read.Count, read.Distinct().Count());
            if (!read.Order().SequenceEqual(matched.Order()))
            {
                differences.Add($"{query}: Postgres only {string.Join(", ", read.Except(matched))}; matcher only {string.Join(", ", matched.Except(read))}");
            }

            partial += read.Count > 0 && read.Count < log.Entries.Count ? 1 : 0;
        }

        if (differences.Count > 0)
        {
            Assert.Fail($"{differences.Count} of {queries.Count} queries differ:\n" + string.Join("\n", differences));
        }

        // The queries must tell entries apart: most of them select some entries, not none or all.
        Assert.True(partial > queries.Count * 3 / 4, $"only {partial} of {queries.Count} queries select some entries but not all");
    }

    /// <summary>
    /// The whole log, every filter alone with each value it holds, values it does not hold, random
    /// combinations taken from entries, time ranges between entries' times and at the extremes,
    /// and scopes alone and with the other filters.
    /// </summary>
    private static List<AuditQuery> ParityQueries(IReadOnlyList<AuditEntry> entries)
    {
        var random = new Random(20240506);
        var queries = new List<AuditQuery> { new() };
        foreach (var filter in Equalities.Values)
        {
            queries.AddRange(entries.Select(e => filter(e, new AuditQuery())).Distinct());
        }

        queries.AddRange(
        [
            new() { TraceId = Guid.Parse("00000000-0000-4000-8000-00000000ffff") },
            new() { ActorId = "JOSÉ" },
            new() { TenantId = "tenant-z" },
            new() { IpAddress = "2001:DB8:0:0:0:0:0:1" },
            new() { IpAddress = "::ffff:10.0.0.1" },
            new() { IpAddress = "10.0.0.3" },
            new() { HttpMethod = "get" },
            new() { HttpStatus = 418 },
            new() { ResourceType = "USER" },
            new() { Scope = AccessScope.OfTenant("tenant-z") },
            new() { Scope = AccessScope.OfTenant("tenant-a"), TenantId = "tenant-b" },
            new() { Scope = AccessScope.OfTenant("tenant-a"), TenantId = "tenant-a", Status = AuditStatus.Failure },
        ]);

        // Times from the six hours, where a range can be moved and offset without leaving DateTimeOffset's range.
        var ordinary = entries.Where(e => e.Timestamp >= Log.Start && e.Timestamp < Log.Start.AddDays(1)).ToList();
        var filters = Equalities.Values.ToArray();
        for (var i = 0; i < 120; i++)
        {
            var entry = ordinary[random.Next(ordinary.Count)];
            var query = random.GetItems(filters, random.Next(2, 5)).Aggregate(new AuditQuery(), (q, filter) => filter(entry, q));
            if (i % 3 == 0)
            {
                query = query with { Since = entry.Timestamp.AddMinutes(-random.Next(0, 90)), Until = entry.Timestamp.AddMinutes(random.Next(0, 90)) };
            }

            queries.Add(query);
        }

        for (var i = 0; i < 60; i++)
        {
            var (a, b) = (ordinary[random.Next(ordinary.Count)].Timestamp, ordinary[random.Next(ordinary.Count)].Timestamp);
            queries.Add((i % 3) switch
            {
                0 => new AuditQuery { Since = a },
                1 => new AuditQuery { Until = a },
                _ => new AuditQuery { Since = a, Until = b.ToOffset(TimeSpan.FromHours(5.5)) },
            });
        }

        var origin = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        queries.AddRange(
        [
            new() { Since = DateTimeOffset.MinValue },
            new() { Until = DateTimeOffset.MinValue },
            new() { Since = DateTimeOffset.MaxValue },
            new() { Until = DateTimeOffset.MaxValue },
            new() { Since = DateTimeOffset.MinValue.AddTicks(1), Until = DateTimeOffset.MaxValue.AddTicks(-1) },
            new() { Since = origin },
            new() { Until = origin },
            new() { Since = origin.AddTicks(-5) },
            new() { Until = origin.AddTicks(-5) },
            new() { Since = origin.AddTicks(-15), Until = origin.AddTicks(5) },
            new() { Since = Log.Start, Until = Log.Start },
            new() { Since = Log.Start.AddHours(3), Until = Log.Start.AddHours(1) },
        ]);

        return queries;
    }

    /// <summary>The ids of every match of <paramref name="query"/>, read as pages are read (<see cref="AuditQuerySql.Page"/>), page after page.</summary>
    private async Task<List<Guid>> ReadAllAsync(AuditQuery query)
    {
        var ids = new List<Guid>();
        OrderKey? after = null;
        while (true)
        {
            var page = await log.Store.ReadAsync(
                new PageRead(query, Partitions: null, After: after, Offset: 0, Take: AuditLimits.MaxLimit, KeysOnly: false, Count: false),
                CancellationToken.None);
            ids.AddRange(page.Logs.Select(e => e.Id));
            if (page.Logs.Count < AuditLimits.MaxLimit)
            {
                return ids;
            }

            after = OrderKey.Of(page.Logs[^1]);
        }
    }

    /// <summary>
    /// A few hundred entries committed through <see cref="AuditStore.CommitAsync"/>, their values
    /// drawn (seeded) from small vocabularies of every filtered field: nulls, values differing
    /// only in case, accents composed and decomposed, trailing spaces, IPv4, IPv6 and IPv4-mapped
    /// addresses in several spellings, ties in time, times finer than a microsecond, around
    /// 2000-01-01, and at both ends of time.
    /// </summary>
    public sealed class Log : IAsyncLifetime
    {
        public static readonly DateTimeOffset Start = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

        private const int Count = 400;

        private static readonly Guid?[] Traces =
            [null, Guid.Parse("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"), Guid.Parse("4bf92f35-77b3-4da6-a3ce-929d0e0e4737"), Guid.Parse("0af76519-16cd-43dd-8448-eb211c80319c")];

        private static readonly string?[] EventTypes = [null, "USER_MANAGEMENT", "user_management", "LOGIN", "DATA_FETCH"];
        private static readonly EventAction?[] EventActions = [null, EventAction.Create, EventAction.Read, EventAction.Update, EventAction.Delete];
        private static readonly string[] ActorIds = ["josé", "jose\u0301", "JOSÉ", "svc-billing", "svc-billing "];
        private static readonly string?[] TargetIds = [null, "user-1", "user-2", "user-1 ", ""];
        private static readonly string?[] Sources = [null, "urn:iam-api", "urn:billing-api", "urn:IAM-api"];
        private static readonly string?[] Tenants = [null, "tenant-a", "tenant-b", "Tenant-A"];
        private static readonly string?[] RequestIds = [null, "req-1", "req-2", "req-3"];

        private static readonly string?[] IpAddresses =
        [
            null, "10.0.0.1", "10.0.0.2", "10.0.0.10", "192.168.1.10", "0.0.0.1", "::ffff:10.0.0.1", "::FFFF:a00:1", "::1", "::",
            "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:0db8::0001", "2001:db8::2", "fe80::1:2",
        ];

        private static readonly string?[] HttpMethods = [null, "GET", "POST", "DELETE"];
        private static readonly string?[] HttpPaths = [null, "/v1/users", "/v1/users?page=2", "/V1/users", "/v1/users/"];
        private static readonly int?[] HttpStatuses = [null, 200, 201, 404, 500];
        private static readonly string?[] PartnerIds = [null, "partner-1", "partner-2", "Partner-1"];
        private static readonly string?[] ActorEmails = [null, "ana@example.com", "Ana@example.com", "bo@example.com"];
        private static readonly string?[] ResourceTypes = [null, "User", "user", "Incident"];

        private readonly MigratedDatabase database = new();

        public List<AuditEntry> Entries { get; } = [];

        public AuditStore Store => database.Store;

        public async Task InitializeAsync()
        {
            await database.InitializeAsync();
            var random = new Random(42);
            for (var i = 0; i < Count; i++)
            {
                Entries.Add(new AuditEntry
                {
                    Id = Guid.CreateVersion7(),
                    TraceId = Pick(random, Traces),
                    Timestamp = TimeOf(random, i),
                    EventType = Pick(random, EventTypes),
                    EventAction = Pick(random, EventActions),
                    Status = Pick(random, [AuditStatus.Success, AuditStatus.Failure]),
                    ActorType = Pick(random, [ActorType.Service, ActorType.Admin, ActorType.Member, ActorType.System]),
                    ActorId = Pick(random, ActorIds),
                    TargetType = Pick(random, [TargetType.Service, TargetType.Resource]),
                    TargetId = Pick(random, TargetIds),
                    Source = Pick(random, Sources),
                    TenantId = Pick(random, Tenants),
                    RequestId = Pick(random, RequestIds),
                    IpAddress = Pick(random, IpAddresses),
                    HttpMethod = Pick(random, HttpMethods),
                    HttpPath = Pick(random, HttpPaths),
                    HttpStatus = Pick(random, HttpStatuses),
                    PartnerId = Pick(random, PartnerIds),
                    ActorEmail = Pick(random, ActorEmails),
                    ResourceType = Pick(random, ResourceTypes),
                });
            }

            var fences = await Store.ReadFencesAsync(Enumerable.Range(0, MigratedDatabase.PartitionCount).ToArray(), CancellationToken.None);
            var batch = new CommitBatch { CreatedAt = Rfc3339.TruncateToMicroseconds(DateTimeOffset.UtcNow) };
            foreach (var (partition, (epoch, lastSeq, _)) in fences)
            {
                var entries = Entries.Where((_, i) => i % MigratedDatabase.PartitionCount == partition).ToList();
                foreach (var (entry, n) in entries.Select((e, n) => (e, n)))
                {
                    batch.Add(entry, partition, lastSeq + n + 1);
                }

                batch.AddFence(partition, epoch, lastSeq, lastSeq + entries.Count);
            }

            await Store.CommitAsync(batch, CancellationToken.None);
            Assert.Equal(Count, await database.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs"));
        }

        public Task DisposeAsync() => database.DisposeAsync();

        private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

        /// <summary>
        /// Mostly whole minutes over six hours, so that times tie; some a few microseconds or ticks
        /// past them; a few around 2000-01-01 and at the ends of time.
        /// </summary>
        private static DateTimeOffset TimeOf(Random random, int i) => i switch
        {
            0 => DateTimeOffset.MinValue,
            1 => DateTimeOffset.MaxValue,
            2 => Rfc3339.TruncateToMicroseconds(DateTimeOffset.MaxValue),
            3 => new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero),
            4 => new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-5),
            5 => new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-15),
            6 => new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero),
            _ => Start.AddMinutes(random.Next(0, 360)).AddTicks(random.Next(4) switch
            {
                0 => random.Next(1, 3) * TimeSpan.TicksPerMicrosecond,
                1 => random.Next(1, 10),
                _ => 0,
            }),
        };
    }
}
