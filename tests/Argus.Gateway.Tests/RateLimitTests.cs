using System.Net;
using System.Net.Sockets;
using Argus.Gateway.Security;

namespace Argus.Gateway.Tests;

/// <summary>
/// Rate limits on a node whose buckets hold <see cref="Burst"/> requests and refill one per 1000 s,
/// so nothing is refilled while a test runs: a bucket is spent after exactly <see cref="Burst"/> requests.
/// </summary>
public sealed class RateLimitTests(RateLimitTests.TinyLimitNode fixture) : IClassFixture<RateLimitTests.TinyLimitNode>
{
    private const int Burst = 5;

    [Fact]
    public async Task A_key_past_its_burst_gets_429_with_retry_after_while_another_key_is_unaffected()
    {
        var node = fixture.Node;
        using var first = ClientWithKey(await node.CreateKeyAsync("limited-a-" + Guid.NewGuid().ToString("N")[..8], [ArgusScopes.Read]));
        using var second = ClientWithKey(await node.CreateKeyAsync("limited-b-" + Guid.NewGuid().ToString("N")[..8], [ArgusScopes.Read]));

        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await first.GetAsync(AuditApi.Path);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using (var refused = await first.GetAsync(AuditApi.Path))
        {
            await AssertRateLimitedAsync(refused);
        }

        // Another credential has its own bucket, whole.
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await second.GetAsync(AuditApi.Path + "/event-types");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using (var refused = await second.GetAsync(AuditApi.Path))
        {
            await AssertRateLimitedAsync(refused);
        }

        // Health, version and the API description are never limited, even for a spent credential.
        foreach (var open in new[] { "/health", "/version", "/openapi.json", "/v1/auditmanager/health", "/v1/auditmanager/version" })
        {
            for (var i = 0; i < Burst + 2; i++)
            {
                using var response = await first.GetAsync(open);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{open}: {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Requests_without_a_valid_credential_are_limited_per_address_and_addresses_past_the_cap_share_one_bucket()
    {
        var node = fixture.Node;

        // From 127.0.0.1: bad keys of every kind and no key at all draw on the same address bucket.
        using var anonymous = node.CreateAnonymousClient();
        string[] badAuthorizations = ["Bearer argus_" + new string('x', 40), "Bearer not-an-argus-token", "Basic dXNlcjpwYXNz"];
        for (var i = 0; i < Burst; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, AuditApi.Path);
            request.Headers.TryAddWithoutValidation("Authorization", badAuthorizations[i % badAuthorizations.Length]);
            using var refused = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, AuditApi.Path))
        {
            request.Headers.Add(Credentials.ApiKeyHeader, "argus_" + new string('y', 40));
            using var limited = await anonymous.SendAsync(request);
            await AssertRateLimitedAsync(limited);
        }

        using (var limited = await anonymous.GetAsync(AuditApi.Path))
        {
            await AssertRateLimitedAsync(limited);
        }

        // A valid credential from the same address is counted on its own.
        using var valid = ClientWithKey(await node.CreateKeyAsync("from-same-address-" + Guid.NewGuid().ToString("N")[..8], [ArgusScopes.Read]));
        using (var allowed = await valid.GetAsync(AuditApi.Path))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        // The cap is two addresses: 127.0.0.1 and 127.0.0.2 have their own buckets; .3 and .4 share one.
        using var second = AnonymousFrom("127.0.0.2");
        using var third = AnonymousFrom("127.0.0.3");
        using var fourth = AnonymousFrom("127.0.0.4");
        for (var i = 0; i < Burst; i++)
        {
            using var refused = await second.GetAsync(AuditApi.Path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var limited = await second.GetAsync(AuditApi.Path))
        {
            await AssertRateLimitedAsync(limited);
        }

        for (var i = 0; i < Burst; i++)
        {
            using var refused = await (i < 3 ? third : fourth).GetAsync(AuditApi.Path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var limited = await fourth.GetAsync(AuditApi.Path))
        {
            await AssertRateLimitedAsync(limited);
        }

        using (var limited = await third.GetAsync(AuditApi.Path))
        {
            await AssertRateLimitedAsync(limited);
        }
    }

    [Theory]
    [InlineData(0.0, 5, 10, "PermitsPerSecond")]
    [InlineData(double.NaN, 5, 10, "PermitsPerSecond")]
    [InlineData(10.0, 0, 10, "Burst")]
    [InlineData(10.0, 5, 0, "MaxTrackedAddresses")]
    public void Settings_out_of_range_are_refused_by_name(double permitsPerSecond, int burst, int maxAddresses, string named)
    {
        var options = new AuthOptions { RateLimit = new RateLimitOptions { PermitsPerSecond = permitsPerSecond, Burst = burst, MaxTrackedAddresses = maxAddresses } };

        var problem = Assert.Single(options.Validate());

        Assert.Contains("Argus:Auth:RateLimit:" + named, problem, StringComparison.Ordinal);
        Assert.Empty(new AuthOptions().Validate());
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"expected 429, got {(int)response.StatusCode}: {body.ToJsonString()}");
        // One token per 1000 s, none left: the next is 1000 s away.
        Assert.Equal("1000", Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Equal("rate limit exceeded; retry after 1000 s", (string?)body["error"]);
        Assert.Equal(["error"], body.Select(p => p.Key));
    }

    private HttpClient ClientWithKey(string key)
    {
        var client = fixture.Node.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add(Credentials.ApiKeyHeader, key);
        return client;
    }

    /// <summary>A client whose connections come from another loopback address (all of 127.0.0.0/8 reaches the node).</summary>
    private HttpClient AnonymousFrom(string localAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = fixture.Node.BaseAddress,
    };

    public sealed class TinyLimitNode : IAsyncLifetime
    {
        public TestDatabase Database { get; private set; } = null!;

        public ArgusTestNode Node { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Database = await TestPostgres.CreateDatabaseAsync();
            Node = await ArgusTestNode.StartAsync(Database.ConnectionString, new Dictionary<string, string?>
            {
                ["Argus:Auth:RateLimit:PermitsPerSecond"] = "0.001",
                ["Argus:Auth:RateLimit:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Argus:Auth:RateLimit:MaxTrackedAddresses"] = "2",
            });
        }

        public async Task DisposeAsync()
        {
            await Node.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
