using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Argus.Gateway.Apis;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace Argus.Gateway.Security;

/// <summary>
/// Requests per credential (<see cref="RateLimitOptions"/>): a token bucket for each credential
/// name, and, for requests without a valid credential (none, or refused), one for each client
/// address (IPv6 per /64), so a flood of bad keys is limited like any other caller. Endpoints open
/// to everyone (health, version, the API's documentation) are not limited. A refused request is
/// answered 429 with <c>Retry-After</c> in Argus's error shape.
/// </summary>
/// <remarks>
/// Memory stays bounded: the partitioned limiter drops a bucket once it has been full (nobody
/// drew on it) for 10 s, which it checks every 100 ms; so a credential or address that stops
/// calling is forgotten within <c>Burst / PermitsPerSecond</c> + 10 s. Credentials are bounded by
/// the keys in force; addresses by <see cref="RateLimitOptions.MaxTrackedAddresses"/>, past which
/// further addresses share one bucket until buckets are dropped.
/// </remarks>
public static partial class RateLimits
{
    /// <summary>Registers the limiter when the settings enable it (by default: exactly when credentials are required); returns whether they do.</summary>
    public static bool AddArgusRateLimits(this IServiceCollection services, AuthMode mode, RateLimitOptions settings)
    {
        if (!(settings.Enabled ?? mode == AuthMode.Required))
        {
            return false;
        }

        services.AddSingleton(new Marker());
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = new Partitions(mode, settings).Create();
            o.OnRejected = (rejected, _) => new ValueTask(RejectAsync(rejected.HttpContext, rejected.Lease, settings));
        });
        return true;
    }

    /// <summary>Limits requests if <see cref="AddArgusRateLimits"/> enabled it; goes after authentication (the credential is known) and before authorisation (refusals are counted too).</summary>
    public static IApplicationBuilder UseArgusRateLimits(this IApplicationBuilder app) =>
        app.ApplicationServices.GetService<Marker>() is null ? app : app.UseRateLimiter();

    /// <summary>Whole seconds until a request would be let through, at least 1.</summary>
    internal static int RetryAfterSeconds(RateLimitLease lease, RateLimitOptions settings)
    {
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? retryAfter
            : TimeSpan.FromSeconds(1 / settings.PermitsPerSecond);
        return (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);
    }

    private static Task RejectAsync(HttpContext context, RateLimitLease lease, RateLimitOptions settings)
    {
        var seconds = RetryAfterSeconds(lease, settings);
        if (HttpMethods.IsPost(context.Request.Method))
        {
            Telemetry.Rejections.Count(context, Telemetry.Rejections.RateLimited);
        }

        LogRejected(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimits)),
            context.User.CredentialName() ?? "(no valid credential)");
        return ApiResponses.ErrorAsync(context, StatusCodes.Status429TooManyRequests,
            string.Create(CultureInfo.InvariantCulture, $"rate limit exceeded; retry after {seconds} s"), retryAfterSeconds: seconds);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limit exceeded by {Credential}")]
    private static partial void LogRejected(ILogger logger, string credential);

    private sealed class Marker;

    private enum Kind
    {
        Open,
        Credential,
        Address,
        OtherAddresses,
    }

    private readonly record struct Key(Kind Kind, string Value);

    private sealed class Partitions(AuthMode mode, RateLimitOptions settings)
    {
        private static readonly Key Open = new(Kind.Open, "");
        private static readonly Key OtherAddresses = new(Kind.OtherAddresses, "");

        /// <summary>Addresses whose bucket is alive (made and not yet dropped), and how many.</summary>
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> addresses = new(StringComparer.Ordinal);
        private int trackedAddresses;

        public PartitionedRateLimiter<HttpContext> Create() => PartitionedRateLimiter.Create<HttpContext, Key>(Partition);

        private RateLimitPartition<Key> Partition(HttpContext context)
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                return RateLimitPartition.GetNoLimiter(Open);
            }

            // With authentication off every caller is the same local user: tell them apart by address.
            if (mode == AuthMode.Required && context.User.CredentialName() is { } credential)
            {
                return new RateLimitPartition<Key>(new Key(Kind.Credential, credential), _ => Bucket());
            }

            var address = AddressOf(context.Connection.RemoteIpAddress);

            // Past the cap a new address shares one bucket with the others past it; an address whose
            // bucket exists keeps it. (The cap is loose under concurrency, by at most the requests in flight.)
            return addresses.ContainsKey(address) || Volatile.Read(ref trackedAddresses) < settings.MaxTrackedAddresses
                ? new RateLimitPartition<Key>(new Key(Kind.Address, address), key => TrackedBucket(key.Value))
                : new RateLimitPartition<Key>(OtherAddresses, _ => Bucket());
        }

        private TokenBucketRateLimiter Bucket()
        {
            // A whole number of tokens per period at exactly the configured rate (1000/s: 1000 per second; 0.5/s: 1 per 2 s).
            var tokens = (int)Math.Clamp(Math.Ceiling(settings.PermitsPerSecond), 1, int.MaxValue);
            return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Burst,
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = TimeSpan.FromSeconds(tokens / settings.PermitsPerSecond),
                QueueLimit = 0,
                // The partitioned limiter refills every bucket from its own timer (every 100 ms): no timer per bucket.
                AutoReplenishment = false,
            });
        }

        private Counted TrackedBucket(string address)
        {
            addresses[address] = 0;
            Interlocked.Increment(ref trackedAddresses);
            return new Counted(Bucket(), () =>
            {
                addresses.TryRemove(address, out _);
                Interlocked.Decrement(ref trackedAddresses);
            });
        }

        /// <summary>An IPv4 address, or an IPv6 address's /64 (what one site or host is usually given).</summary>
        private static string AddressOf(IPAddress? address)
        {
            if (address is null)
            {
                return "unknown";
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return address.ToString();
            }

            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }
    }

    /// <summary>A bucket that says when the partitioned limiter drops it, so the address buckets can be counted.</summary>
    private sealed class Counted(TokenBucketRateLimiter inner, Action dropped) : ReplenishingRateLimiter
    {
        private int disposed;

        public override bool IsAutoReplenishing => inner.IsAutoReplenishing;

        public override TimeSpan ReplenishmentPeriod => inner.ReplenishmentPeriod;

        public override TimeSpan? IdleDuration => inner.IdleDuration;

        public override bool TryReplenish() => inner.TryReplenish();

        public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => inner.AttemptAcquire(permitCount);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            inner.AcquireAsync(permitCount, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
            {
                inner.Dispose();
                dropped();
            }

            base.Dispose(disposing);
        }

        protected override ValueTask DisposeAsyncCore()
        {
            Dispose(true);
            return ValueTask.CompletedTask;
        }
    }
}
