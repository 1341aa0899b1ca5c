using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Argus.Gateway.Security;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Tests;

/// <summary>
/// Bearer tokens of an external identity provider: a node whose <c>Argus:Auth:Jwt:Authority</c> is a
/// provider on a loopback port, over real HTTP and Postgres. Each test writes under its own actor.
/// </summary>
public sealed class JwtAuthTests(JwtAuthTests.ProviderNode fixture) : IClassFixture<JwtAuthTests.ProviderNode>
{
    private const string InvalidCredential = "invalid credential";

    private readonly TestIdentityProvider provider = fixture.Provider;

    public static TheoryData<string> RefusedTokens => new() { "expired", "not yet valid", "foreign key", "wrong audience", "wrong issuer", "unsigned", "not a token" };

    [Fact]
    public async Task A_token_with_read_and_write_in_scope_can_write_and_read()
    {
        using var client = fixture.Client(provider.Issue("svc-" + Guid.NewGuid(), Claims(("scope", "audit:read audit:write"))));
        var actor = NewActor();

        var created = await client.CreateAsync(AuditJson.Minimal(actor));
        var page = await client.GetPageAsync($"actorId={actor}");
        using var one = await client.GetAsync($"{AuditApi.Path}/{(string)created["id"]!}");

        Assert.Equal([(string)created["id"]!], page.Ids());
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }

    [Fact]
    public async Task Scp_works_as_one_claim_per_scope_and_as_a_space_separated_string()
    {
        using var array = fixture.Client(provider.Issue("svc-array", Claims(("scp", new[] { "audit:write", "audit:read" }))));
        using var spaced = fixture.Client(provider.Issue("svc-spaced", Claims(("scp", "audit:write audit:read"))));
        var actor = NewActor();

        await array.CreateAsync(AuditJson.Minimal(actor));
        await spaced.CreateAsync(AuditJson.Minimal(actor));

        Assert.Equal(2L, (long)(await array.GetPageAsync($"actorId={actor}"))["total"]!);
        Assert.Equal(2L, (long)(await spaced.GetPageAsync($"actorId={actor}"))["total"]!);
    }

    [Fact]
    public async Task A_token_without_write_in_scope_is_refused_403_naming_the_scope()
    {
        // An unknown scope, even one that sounds mighty, grants nothing.
        using var client = fixture.Client(provider.Issue("svc-reader", Claims(("scope", "audit:read audit:superuser audit:write:all"))));

        using var response = await client.PostEntryAsync(AuditJson.Minimal(NewActor()));
        var body = await response.ReadObjectAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("'audit:write'", (string)body["error"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{AuditApi.Path}?actorId={NewActor()}")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_token_that_is_not_valid_gets_the_same_401_as_a_bad_key(string why)
    {
        var now = DateTimeOffset.UtcNow;
        var scopes = Claims(("scope", "audit:read audit:write"));
        var token = why switch
        {
            // Past the 30 s of clock skew either way.
            "expired" => provider.Issue("svc", scopes, notBefore: now.AddMinutes(-10), expires: now.AddMinutes(-2)),
            "not yet valid" => provider.Issue("svc", scopes, notBefore: now.AddMinutes(2), expires: now.AddMinutes(10)),
            "foreign key" => provider.Issue("svc", scopes, signWithForeignKey: true),
            "wrong audience" => provider.Issue("svc", scopes, audience: "someone-else"),
            "wrong issuer" => provider.Issue("svc", scopes, issuer: "https://idp.example.com"),
            "unsigned" => provider.IssueUnsigned("svc", scopes),
            "not a token" => "eyJhbGciOi.garbage",
            _ => throw new ArgumentOutOfRangeException(nameof(why)),
        };
        using var withToken = fixture.Client(token);
        using var withBadKey = fixture.Node.CreateAnonymousClient();
        withBadKey.DefaultRequestHeaders.Add(Credentials.ApiKeyHeader, "argus_" + new string('x', 40));

        using var refused = await withToken.PostEntryAsync(AuditJson.Minimal(NewActor()));
        using var refusedRead = await withToken.GetAsync($"{AuditApi.Path}?actorId={NewActor()}");
        using var badKey = await withBadKey.GetAsync($"{AuditApi.Path}?actorId={NewActor()}");

        Assert.Equal(HttpStatusCode.Unauthorized, badKey.StatusCode);
        var expected = await badKey.Content.ReadAsStringAsync();
        Assert.Contains(InvalidCredential, expected, StringComparison.Ordinal);
        foreach (var response in new[] { refused, refusedRead })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
            Assert.Equal(AuthorizationResponses.Challenge, string.Join(", ", response.Headers.WwwAuthenticate));
        }
    }

    [Fact]
    public async Task A_token_bound_to_a_tenant_writes_and_reads_only_that_tenant()
    {
        var tenant = "tenant-" + Guid.NewGuid().ToString("N")[..12];
        using var client = fixture.Client(provider.Issue("svc-tenant", Claims(("scope", "audit:read audit:write"), ("tenant_id", tenant))));
        var actor = NewActor();
        var other = await fixture.Node.Client.CreateAsync(Entry(actor, "tenant-other"));

        var unnamed = await client.CreateAsync(AuditJson.Minimal(actor));
        var named = await client.CreateAsync(Entry(actor, tenant));
        using var foreign = await client.PostEntryAsync(Entry(actor, "tenant-other"));
        var page = await client.GetPageAsync($"actorId={actor}");
        var asked = await client.GetPageAsync($"actorId={actor}&tenantId=tenant-other");
        using var otherById = await client.GetAsync($"{AuditApi.Path}/{(string)other["id"]!}");

        Assert.Equal(tenant, (string)unnamed["tenantId"]!);
        Assert.Equal(tenant, (string)named["tenantId"]!);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(new[] { unnamed, named }.InApiOrder().Select(e => (string)e["id"]!), page.Ids());
        Assert.Empty(asked.Ids());
        Assert.Equal(HttpStatusCode.NotFound, otherById.StatusCode);
    }

    [Fact]
    public void Scopes_and_tenant_come_from_the_token_s_claims()
    {
        var principal = TokenAuthentication.Principal(Token(("sub", "alice"), ("scp", "audit:read"), ("scp", "audit:write audit:bogus"), ("org", "t1")), "org")!;

        Assert.Equal("token:alice", principal.CredentialName());
        Assert.Equal(["audit:read", "audit:write"], principal.FindAll(ArgusClaims.Scope).Select(c => c.Value).Order(StringComparer.Ordinal));
        Assert.Equal("t1", principal.FindFirst(ArgusClaims.Tenant)?.Value);
        Assert.Null(TokenAuthentication.Principal(Token(("sub", "alice")), "org")!.FindFirst(ArgusClaims.Tenant));
        Assert.Null(TokenAuthentication.Principal(Token(("scope", "audit:read")), "org"));
        Assert.Null(TokenAuthentication.Principal(Token(("sub", "alice"), ("org", "t1"), ("org", "t2")), "org"));
        Assert.Null(TokenAuthentication.Principal(Token(("sub", "alice"), ("org", "")), "org"));
    }

    [Theory]
    [InlineData("https://idp.example.com", true)]
    [InlineData("https://idp.example.com/realms/argus", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("http://127.0.0.1:8080/realms/argus", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://idp.example.com", false)]
    [InlineData("http://10.0.0.5:8080", false)]
    [InlineData("http://localhost.example.com", false)]
    [InlineData("ftp://idp.example.com", false)]
    [InlineData("idp.example.com", false)]
    public void Authority_must_be_https_unless_its_host_is_loopback(string authority, bool accepted)
    {
        var problems = new AuthOptions { Jwt = { Authority = authority, Audience = "argus" } }.Validate().ToList();

        if (accepted)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.StartsWith("Argus:Auth:Jwt:Authority must", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Audience_is_required_with_an_authority()
    {
        var problems = new JwtOptions { Authority = "https://idp.example.com" }.Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("Argus:Auth:Jwt:Audience is required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_refuses_to_start_with_a_plain_http_authority_on_the_network()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Argus:Auth:Jwt:Authority"] = "http://idp.example.com",
            ["Argus:Auth:Jwt:Audience"] = "argus",
        };

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => ArgusTestNode.StartAsync(fixture.Database.ConnectionString, settings));

        Assert.Contains("Argus:Auth:Jwt:Authority must use https", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_authority_a_token_is_an_invalid_credential()
    {
        // A database of its own: a node on the fixture's would join the fixture's cluster.
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, waitForAllPartitions: false);
        using var client = node.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", provider.Issue("svc", Claims(("scope", "audit:read"))));

        using var response = await client.GetAsync($"{AuditApi.Path}?actorId={NewActor()}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(InvalidCredential, (string)(await response.ReadObjectAsync())["error"]!);
    }

    [Fact]
    public async Task Tokens_are_answered_503_while_the_provider_has_never_been_reached()
    {
        var nowhere = $"http://127.0.0.1:{FreePorts.Take(1)[0]}";
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, ProviderNode.Settings(nowhere, provider.Audience), waitForAllPartitions: false);
        using var client = node.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", provider.Issue("svc", Claims(("scope", "audit:read"))));

        using var response = await client.GetAsync($"{AuditApi.Path}?actorId={NewActor()}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    private static string NewActor() => "jwt-actor-" + Guid.NewGuid().ToString("N");

    private static JsonObject Entry(string actor, string tenant)
    {
        var entry = AuditJson.Minimal(actor);
        entry["tenantId"] = tenant;
        return entry;
    }

    private static Dictionary<string, object> Claims(params (string Name, object Value)[] claims) => claims.ToDictionary(c => c.Name, c => c.Value);

    private static ClaimsPrincipal Token(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    /// <summary>An identity provider, and a node that accepts its tokens (audience <c>argus</c>, tenant claim <c>tenant_id</c>).</summary>
    public sealed class ProviderNode : IAsyncLifetime
    {
        public TestDatabase Database { get; private set; } = null!;

        public TestIdentityProvider Provider { get; private set; } = null!;

        public ArgusTestNode Node { get; private set; } = null!;

        public static Dictionary<string, string?> Settings(string authority, string audience) => new()
        {
            ["Argus:Auth:Jwt:Authority"] = authority,
            ["Argus:Auth:Jwt:Audience"] = audience,
        };

        /// <summary>A client that sends <paramref name="token"/> as its bearer credential.</summary>
        public HttpClient Client(string token)
        {
            var client = Node.CreateAnonymousClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task InitializeAsync()
        {
            Database = await TestPostgres.CreateDatabaseAsync();
            Provider = await TestIdentityProvider.StartAsync();
            Node = await ArgusTestNode.StartAsync(Database.ConnectionString, Settings(Provider.Issuer, Provider.Audience));
        }

        public async Task DisposeAsync()
        {
            await Node.DisposeAsync();
            await Provider.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
