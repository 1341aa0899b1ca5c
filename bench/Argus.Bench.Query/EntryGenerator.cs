using System.Buffers.Binary;
using Argus.Grains.Abstractions.Partitioning;

namespace Argus.Bench.Query;

/// <summary>
/// A realistic, reproducible audit log (same seed, same rows): traces of 2-30 entries spread over
/// ~30 days in time order, ~40 event types and ~10k actors with a skew (a few dominate), ~50k
/// targets, four actions, ~5% failures, small JSON metadata; each trace within one of 200 tenants
/// (skewed) from one client address, each entry from one of 30 sources with its own request id, and
/// 60% of entries with HTTP method, path, status and latency. Ids are UUIDv7 of the entry's time,
/// as Argus makes them; each trace's partition is <see cref="PartitionHash"/> of its id, and every
/// partition gets a gap-free sequence, so Argus can append after the load.
/// </summary>
internal sealed class EntryGenerator
{
    public static readonly DateTime End = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    public static readonly TimeSpan Span = TimeSpan.FromDays(30);

    private static readonly string[] EventTypes =
    [
        "DATA_FETCH", "USER_LOGIN", "MANAGEMENT_EVENT", "USER_MANAGEMENT", "TOKEN_REFRESH", "PERMISSION_CHECK", "RECORD_UPDATE",
        "FILE_DOWNLOAD", "SEARCH", "EXPORT", "POLICY_CHANGE", "ROLE_ASSIGNMENT", "API_KEY_USE", "PASSWORD_RESET", "USER_LOGOUT",
        "SESSION_EXPIRED", "INVOICE_CREATED", "PAYMENT_CAPTURED", "REFUND_ISSUED", "SUBSCRIPTION_CHANGE", "WEBHOOK_DELIVERY",
        "SCHEMA_CHANGE", "CONFIG_CHANGE", "FEATURE_FLAG_TOGGLE", "DEPLOYMENT", "BACKUP_CREATED", "BACKUP_RESTORED",
        "MFA_ENROLLED", "MFA_CHALLENGE", "ACCOUNT_LOCKED", "ACCOUNT_UNLOCKED", "CONSENT_GIVEN", "CONSENT_WITHDRAWN",
        "DATA_DELETION_REQUEST", "DATA_EXPORT_REQUEST", "TENANT_CREATED", "TENANT_SUSPENDED", "SSO_LOGIN", "AUDIT_EXPORT",
        "KEY_ROTATION",
    ];

    private static readonly string[] Actions = ["READ", "CREATE", "UPDATE", "DELETE"];

    private static readonly double[] ActionWeights = [0.55, 0.2, 0.2, 0.05];

    private const int ActorCount = 10_000;

    private const int TargetCount = 50_000;

    private const double FailureRate = 0.05;

    private const int TenantCount = 200;

    private const int SourceCount = 30;

    private const int AddressCount = 5_000;

    /// <summary>Share of entries recorded by an HTTP middleware, with method, path, status and latency.</summary>
    private const double HttpShare = 0.6;

    private static readonly string[] UserAgents = ["Mozilla/5.0", "curl/8.5.0", "argus-client/1.0", "okhttp/4.12.0", "python-requests/2.32"];

    private static readonly string[] HttpMethods = ["GET", "POST", "PUT", "DELETE"];

    private readonly Random random;
    private readonly int partitionCount;
    private readonly long rows;
    private readonly long[] lastSeq;
    private readonly double[] eventTypeCdf = Cdf(Enumerable.Range(1, EventTypes.Length).Select(k => 1.0 / k).ToArray());
    private readonly double[] actionCdf = Cdf(ActionWeights);
    private readonly double[] actorCdf = Cdf(Enumerable.Range(1, ActorCount).Select(k => Math.Pow(k, -0.8)).ToArray());
    private readonly double[] targetCdf = Cdf(Enumerable.Range(1, TargetCount).Select(k => Math.Pow(k, -0.6)).ToArray());
    private readonly double[] tenantCdf = Cdf(Enumerable.Range(1, TenantCount).Select(k => Math.Pow(k, -0.7)).ToArray());
    private readonly string[] tenants = Enumerable.Range(0, TenantCount).Select(k => $"tenant-{k:D3}").ToArray();
    private readonly string[] sources = Enumerable.Range(0, SourceCount).Select(k => $"urn:argus:service:svc-{k}").ToArray();
    private readonly System.Net.IPAddress[] addresses = Enumerable.Range(0, AddressCount)
        .Select(k => new System.Net.IPAddress(new byte[] { 10, (byte)(k >> 16), (byte)(k >> 8), (byte)k })).ToArray();
    private readonly string[] actors = Enumerable.Range(0, ActorCount).Select(ActorName).ToArray();
    private readonly string[] targets = Enumerable.Range(0, TargetCount).Select(k => k % 10 < 3 ? $"svc-{k}" : $"res-{k}").ToArray();
    private readonly string[] requestMetadata = Enumerable.Range(0, 200)
        .Select(k => $$"""{"schemaId":"schema-{{k}}","requestedFields":["name","email"{{(k % 3 == 0 ? ",\"address\"" : "")}}],"client":"web"}""").ToArray();
    private readonly string[] failureMetadata =
    [
        """{"decision":"DENIED","error":"permission_denied"}""",
        """{"error":"operation_failed","errorCode":"404"}""",
        """{"error":"timeout","retryable":true}""",
    ];

    public EntryGenerator(long rows, int partitionCount, int seed)
    {
        this.rows = rows;
        this.partitionCount = partitionCount;
        random = new Random(seed);
        lastSeq = new long[partitionCount];
    }

    /// <summary>The highest sequence number given in each partition: what <c>argus_partitions.last_seq</c> must say after the load.</summary>
    public IReadOnlyList<long> LastSeq => lastSeq;

    /// <summary>Fills <paramref name="entry"/> with each entry in turn (the same instance, to keep the loader allocation-light).</summary>
    public IEnumerable<GeneratedEntry> Generate(GeneratedEntry entry)
    {
        var start = End - Span;
        var produced = 0L;
        while (produced < rows)
        {
            var size = (int)Math.Min(random.Next(2, 31), rows - produced);
            var traceId = RandomV4();
            var partition = PartitionHash.PartitionOf(traceId, partitionCount);
            var mainActor = Pick(actorCdf);
            var mainTarget = Pick(targetCdf);
            var tenant = tenants[Pick(tenantCdf)];
            var address = addresses[random.Next(AddressCount)];
            var userAgent = UserAgents[random.Next(UserAgents.Length)];
            var time = start + (Span * ((double)produced / rows)) + TimeSpan.FromMilliseconds(random.Next(0, 1000));
            for (var i = 0; i < size; i++)
            {
                time += TimeSpan.FromTicks(random.Next(1_000, 20_000_000)); // 0.1 ms to 2 s between steps
                var occurred = new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerMicrosecond), DateTimeKind.Utc);
                var actor = random.NextDouble() < 0.7 ? mainActor : Pick(actorCdf);
                var failed = random.NextDouble() < FailureRate;
                entry.Id = UuidV7(occurred);
                entry.TraceId = traceId;
                entry.OccurredAt = occurred;
                entry.EventType = EventTypes[Pick(eventTypeCdf)];
                entry.EventAction = Actions[Pick(actionCdf)];
                entry.Status = failed ? "FAILURE" : "SUCCESS";
                entry.ActorType = ActorTypeOf(actor);
                entry.ActorId = actors[actor];
                var target = random.NextDouble() < 0.6 ? mainTarget : Pick(targetCdf);
                entry.TargetType = target % 10 < 3 ? "SERVICE" : "RESOURCE";
                entry.TargetId = targets[target];
                entry.RequestMetadata = requestMetadata[random.Next(requestMetadata.Length)];
                entry.ResponseMetadata = failed ? failureMetadata[random.Next(failureMetadata.Length)] : """{"decision":"ALLOWED"}""";
                entry.AdditionalMetadata = random.NextDouble() < 0.1 ? """{"region":"eu-west-1"}""" : null;
                entry.CreatedAt = occurred.AddTicks(random.Next(1_000, 500_000));
                entry.Source = sources[random.Next(SourceCount)];
                entry.TenantId = tenant;
                entry.RequestId = $"req-{random.NextInt64():x16}";
                entry.IpAddress = address;
                entry.UserAgent = userAgent;
                var http = random.NextDouble() < HttpShare;
                var action = System.Array.IndexOf(Actions, entry.EventAction);
                entry.HttpMethod = http ? HttpMethods[action] : null;
                entry.HttpPath = http ? $"/api/{entry.TargetType.ToLowerInvariant()}s/{entry.TargetId}" : null;
                entry.HttpStatus = http ? (short)(failed ? (random.NextDouble() < 0.7 ? 403 : 500) : action == 1 ? 201 : 200) : null;
                entry.LatencyMs = http ? Math.Round(random.NextDouble() * random.NextDouble() * 250, 3) : null;
                entry.PartitionId = partition;
                entry.Seq = ++lastSeq[partition];
                entry.Draw = random.NextDouble();
                yield return entry;
            }

            produced += size;
        }
    }

    private static string ActorName(int k) => (k % 20) switch
    {
        < 10 => $"svc-{k}",
        < 17 => $"user-{k}@example.com",
        < 19 => $"admin-{k}",
        _ => $"system-{k}",
    };

    /// <summary>Half services, a third members, a tenth admins, a twentieth system actors.</summary>
    private static string ActorTypeOf(int k) => (k % 20) switch
    {
        < 10 => "SERVICE",
        < 17 => "MEMBER",
        < 19 => "ADMIN",
        _ => "SYSTEM",
    };

    private int Pick(double[] cdf)
    {
        var index = Array.BinarySearch(cdf, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cdf.Length - 1);
    }

    private static double[] Cdf(double[] weights)
    {
        var total = weights.Sum();
        var cdf = new double[weights.Length];
        var running = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            running += weights[i] / total;
            cdf[i] = running;
        }

        return cdf;
    }

    /// <summary>RFC 9562 version 7: 48 bits of Unix milliseconds, then random bits, drawn from the seeded generator.</summary>
    private Guid UuidV7(DateTime at)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        var ms = (ulong)(at - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond;
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(time, ms);
        time[2..].CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private Guid RandomV4()
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
