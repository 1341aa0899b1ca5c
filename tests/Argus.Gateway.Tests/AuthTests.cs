using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Argus.Gateway.Facades;
using Argus.Gateway.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Argus.Gateway.Tests;

/// <summary>
/// Credentials on every endpoint the node maps (read from its endpoint data source, so a new one
/// cannot be left out), tenant isolation on every read and append path, and the choice of mode.
/// </summary>
public sealed class AuthTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string InvalidCredential = "invalid credential";

    /// <summary>Endpoints anyone may call: probes and the API's description.</summary>
    private static readonly string[] OpenRoutes =
    [
        "GET /", "GET /health", "GET /version", "GET /openapi.json", "GET /v1/auditmanager/openapi.json",
        "GET /v1/auditmanager/health", "GET /v1/auditmanager/version",
    ];

    private ArgusTestNode Node => fixture.Node;

    [Fact]
    public async Task Every_endpoint_but_the_open_ones_refuses_a_missing_credential_with_401_and_a_challenge()
    {
        using var anonymous = Node.CreateAnonymousClient();
        var endpoints = Endpoints();
        Assert.Equal(OpenRoutes.Order(), endpoints.Where(e => e.Open).Select(e => e.Name).Order());

        foreach (var endpoint in endpoints)
        {
            using var response = await anonymous.SendAsync(endpoint.Request(Guid.NewGuid().ToString()), HttpCompletionOption.ResponseHeadersRead);
            if (endpoint.Open)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{endpoint.Name}: {(int)response.StatusCode}");
                continue;
            }

            var error = await AssertUnauthorizedAsync(response, endpoint.Name, endpoint.Dialect);
            Assert.StartsWith("authentication required", error, StringComparison.Ordinal);
        }

        // The interactive documentation is static pages, not an endpoint: open as well.
        foreach (var docs in new[] { "/docs/index.html", "/v1/auditmanager/docs/index.html" })
        {
            using var response = await anonymous.GetAsync(docs);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{docs}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Every_kind_of_bad_credential_gets_the_same_401_on_every_protected_endpoint()
    {
        using var client = Node.CreateAnonymousClient();
        (string Header, string Value)[] badCredentials =
        [
            (Credentials.ApiKeyHeader, "argus_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N")),
            ("Authorization", "Bearer argus_" + Guid.NewGuid().ToString("N")),
            ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"),
            ("Authorization", "Basic " + Convert.ToBase64String("user:password"u8.ToArray())),
            (Credentials.ApiKeyHeader, ""),
            (Credentials.ApiKeyHeader, Node.ApiKey + "x"),
        ];

        foreach (var endpoint in Endpoints().Where(e => !e.Open))
        {
            foreach (var (header, value) in badCredentials)
            {
                using var request = endpoint.Request(Guid.NewGuid().ToString());
                request.Headers.TryAddWithoutValidation(header, value);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var error = await AssertUnauthorizedAsync(response, $"{endpoint.Name} with {header}: {value}", endpoint.Dialect);
                Assert.Equal(InvalidCredential, error);
            }
        }
    }

    [Fact]
    public async Task Without_postgres_a_key_read_before_keeps_working_and_a_key_never_read_is_503_not_401()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        using var known = node.CreateClient();
        using var unread = node.CreateAnonymousClient();
        var wellFormed = "argus_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        unread.DefaultRequestHeaders.Add(Credentials.ApiKeyHeader, wellFormed);
        // This endpoint reads nothing from Postgres: only checking the credential can need it.
        const string path = "/api/audit-logs/event-actions";
        Assert.Equal(HttpStatusCode.OK, (await known.GetAsync(path)).StatusCode);

        await using (await PostgresOutage.BeginAsync(database))
        {
            Assert.Equal(HttpStatusCode.OK, (await known.GetAsync(path)).StatusCode);

            using var response = await unread.GetAsync(path);
            var body = await response.ReadObjectAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body.ToJsonString()}");
            Assert.Contains("cannot be read", (string?)body["error"], StringComparison.Ordinal);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        using var after = await unread.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_key_lacking_the_endpoints_scope_gets_403_naming_it_and_a_key_with_only_that_scope_is_let_through()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var only = new Dictionary<string, HttpClient>();
        var allBut = new Dictionary<string, HttpClient>();
        foreach (var scope in ArgusScopes.All)
        {
            var name = scope.Replace(':', '-');
            only[scope] = ClientWithKey(await Node.CreateKeyAsync($"only-{name}-{suffix}", [scope]));
            allBut[scope] = ClientWithKey(await Node.CreateKeyAsync($"all-but-{name}-{suffix}", ArgusScopes.All.Where(s => s != scope).ToArray()));
        }

        try
        {
            foreach (var endpoint in Endpoints().Where(e => !e.Open))
            {
                var scope = endpoint.Scope;
                Assert.True(scope is not null && ArgusScopes.IsKnown(scope), $"{endpoint.Name} names no known scope");

                using (var refused = await allBut[scope].SendAsync(endpoint.Request(Guid.NewGuid().ToString()), HttpCompletionOption.ResponseHeadersRead))
                {
                    var body = await refused.ReadObjectAsync();
                    Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{endpoint.Name} without {scope}: {(int)refused.StatusCode} {body.ToJsonString()}");
                    Assert.Equal($"forbidden: this credential lacks the scope '{scope}'", ErrorMessage(body, endpoint.Dialect, HttpStatusCode.Forbidden));
                }

                using var allowed = await only[scope].SendAsync(endpoint.Request(Guid.NewGuid().ToString()), HttpCompletionOption.ResponseHeadersRead);
                // Let through: answered by the endpoint itself (an unknown id or trace is its own 404).
                var letThrough = (int)allowed.StatusCode < 400 || (allowed.StatusCode == HttpStatusCode.NotFound && endpoint.Path.Contains('{', StringComparison.Ordinal));
                Assert.True(letThrough, $"{endpoint.Name} with {scope}: {(int)allowed.StatusCode} {(letThrough ? "" : await allowed.Content.ReadAsStringAsync())}");
            }
        }
        finally
        {
            foreach (var client in only.Values.Concat(allBut.Values))
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_key_is_accepted_in_X_API_Key_and_as_a_bearer_token()
    {
        var key = await Node.CreateKeyAsync("both-headers-" + Guid.NewGuid().ToString("N")[..8], [ArgusScopes.Read]);
        using var client = Node.CreateAnonymousClient();

        using var byHeader = new HttpRequestMessage(HttpMethod.Get, AuditApi.Path + "?limit=1");
        byHeader.Headers.Add(Credentials.ApiKeyHeader, key);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, AuditApi.Path + "?limit=1");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var first = await client.SendAsync(byHeader);
        using var second = await client.SendAsync(bearer);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task Tenant_bound_keys_read_only_their_tenant_on_every_read_path()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        string t1 = "t1-" + run, t2 = "t2-" + run;
        using var one = ClientWithKey(await Node.CreateKeyAsync("tenant-one-" + run, [ArgusScopes.Read, ArgusScopes.Write], t1));
        using var two = ClientWithKey(await Node.CreateKeyAsync("tenant-two-" + run, [ArgusScopes.Read, ArgusScopes.Write], t2));
        using var all = ClientWithKey(await Node.CreateKeyAsync("all-tenants-" + run, [ArgusScopes.Read, ArgusScopes.Write]));

        var shared = Guid.NewGuid().ToString();
        var onlyTwo = Guid.NewGuid().ToString();
        string typeOne = "ONE_" + run, typeTwo = "TWO_" + run;
        JsonObject Entry(string trace, string eventType, int second) =>
            Merge(AuditJson.Minimal(timestamp: $"2024-05-01T10:00:{second:00}Z"), ("traceId", trace), ("eventType", eventType));

        // Written without tenantId: each entry takes its key's tenant.
        var ofOne = new List<JsonObject>();
        for (var i = 0; i < 7; i++)
        {
            ofOne.Add(await one.CreateAsync(Entry(i < 3 ? shared : Guid.NewGuid().ToString(), typeOne + (i % 2), i)));
        }

        var ofTwo = new List<JsonObject>();
        for (var i = 0; i < 5; i++)
        {
            ofTwo.Add(await two.CreateAsync(Entry(i < 2 ? shared : onlyTwo, typeTwo, 10 + i)));
        }

        Assert.All(ofOne, e => Assert.Equal(t1, (string?)e["tenantId"]));
        Assert.All(ofTwo, e => Assert.Equal(t2, (string?)e["tenantId"]));
        var idsOne = ofOne.Select(e => (string)e["id"]!).ToHashSet();
        var idsTwo = ofTwo.Select(e => (string)e["id"]!).ToHashSet();

        // Lists: unfiltered, filtered, and filtered on the other tenant.
        var page = await one.GetPageAsync("limit=1000");
        Assert.Equal(7, (long)page["total"]!);
        Assert.True(idsOne.SetEquals(page.Ids()));
        Assert.Equal(3, (long)(await one.GetPageAsync($"traceId={shared}"))["total"]!);
        Assert.Equal(0, (long)(await one.GetPageAsync($"eventType={typeTwo}"))["total"]!);
        Assert.Equal(0, (long)(await one.GetPageAsync($"traceId={onlyTwo}"))["total"]!);
        var otherTenant = await one.GetPageAsync($"tenantId={t2}");
        Assert.Empty(otherTenant.Ids());
        Assert.Equal(0, (long)otherTenant["total"]!);
        Assert.Equal(7, (long)(await one.GetPageAsync($"tenantId={t1}"))["total"]!);
        Assert.True(idsTwo.SetEquals((await two.GetPageAsync("limit=1000")).Ids()));

        // Cursors: following nextCursor walks the own tenant's entries and no others.
        var walked = new List<string>();
        var cursorPage = await one.GetPageAsync("limit=2");
        walked.AddRange(cursorPage.Ids());
        while ((string?)cursorPage["nextCursor"] is { } cursor)
        {
            cursorPage = await one.GetPageAsync("limit=2&cursor=" + Uri.EscapeDataString(cursor));
            walked.AddRange(cursorPage.Ids());
        }

        Assert.Equal(7, walked.Count);
        Assert.True(idsOne.SetEquals(walked));

        // One entry by id: the other tenant's is not found.
        using (var own = await one.GetAsync($"{AuditApi.Path}/{ofOne[0]["id"]}"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var foreign = await one.GetAsync($"{AuditApi.Path}/{ofTwo[0]["id"]}"))
        {
            await AuditApi.AssertErrorAsync(foreign, HttpStatusCode.NotFound, "id", messageNamesField: false);
        }

        // Traces: a shared trace shows only the own entries (and counts only them); another tenant's trace is not found.
        var trace = await GetJsonAsync(one, $"/api/traces/{shared}");
        Assert.Equal(ofOne.Take(3).Select(e => (string)e["id"]!).Order(), trace["entries"]!.AsArray().Select(e => (string)e!["id"]!).Order());
        Assert.Equal(3, (long)trace["summary"]!["entryCount"]!);
        Assert.Equal(2, (await GetJsonAsync(two, $"/api/traces/{shared}"))["entries"]!.AsArray().Count);
        Assert.Equal(5, (long)(await GetJsonAsync(all, $"/api/traces/{shared}"))["summary"]!["entryCount"]!);
        using (var foreignTrace = await one.GetAsync($"/api/traces/{onlyTwo}"))
        {
            await AuditApi.AssertErrorAsync(foreignTrace, HttpStatusCode.NotFound, "traceId", messageNamesField: false);
        }

        // Reports: counts and event types of the own tenant only.
        var stats = await GetJsonAsync(one, AuditApi.Path + "/stats");
        Assert.Equal(7, (long)stats["total"]!);
        Assert.Equal([typeOne + "0", typeOne + "1"], stats["byEventType"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(5, (long)(await GetJsonAsync(two, AuditApi.Path + "/stats"))["total"]!);
        Assert.Equal(0, (long)(await GetJsonAsync(one, AuditApi.Path + $"/stats?tenantId={t2}"))["total"]!);
        var types = await GetJsonAsync(one, AuditApi.Path + "/event-types");
        Assert.Equal([typeOne + "0", typeOne + "1"], types["eventTypes"]!.AsArray().Select(t => (string?)t));
        Assert.Equal([typeTwo], (await GetJsonAsync(two, AuditApi.Path + "/event-types"))["eventTypes"]!.AsArray().Select(t => (string?)t));

        // The unbound key sees both tenants.
        Assert.Equal(7, (long)(await all.GetPageAsync($"tenantId={t1}"))["total"]!);
        Assert.Equal(5, (long)(await all.GetPageAsync($"tenantId={t2}"))["total"]!);
        using (var any = await all.GetAsync($"{AuditApi.Path}/{ofTwo[0]["id"]}"))
        {
            Assert.Equal(HttpStatusCode.OK, any.StatusCode);
        }
    }

    [Fact]
    public async Task A_tenant_bound_key_appends_only_for_its_tenant_on_both_apis()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        string t1 = "t1-" + run, t2 = "t2-" + run;
        using var one = ClientWithKey(await Node.CreateKeyAsync("append-one-" + run, [ArgusScopes.Read, ArgusScopes.Write], t1));
        using var all = ClientWithKey(await Node.CreateKeyAsync("append-all-" + run, [ArgusScopes.Read, ArgusScopes.Write]));

        // Another tenant's entry: refused, nothing stored.
        var actor = "foreign-" + run;
        using (var refused = await one.PostEntryAsync(Merge(AuditJson.Minimal(actor), ("tenantId", t2))))
        {
            await AuditApi.AssertErrorAsync(refused, HttpStatusCode.Forbidden, "tenantId");
        }

        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", actor));

        // Its own tenant named explicitly is fine; an unbound key may write any tenant's.
        Assert.Equal(t1, (string?)(await one.CreateAsync(Merge(AuditJson.Minimal(), ("tenantId", t1))))["tenantId"]);
        Assert.Equal(t2, (string?)(await all.CreateAsync(Merge(AuditJson.Minimal(), ("tenantId", t2))))["tenantId"]);
        Assert.Null((string?)(await all.CreateAsync(AuditJson.Minimal()))["tenantId"]);

        // CloudEvents: the event takes the key's tenant, in single and batch ingest.
        var single = CloudEventRequests.Event();
        using (var accepted = await one.PostEventAsync(single))
        {
            var (entryId, _) = await CloudEventRequests.AssertAcceptedAsync(accepted, (string)single["id"]!);
            Assert.Equal(t1, (string?)(await one.GetEntryAsync(entryId))["tenantId"]);
        }

        var batched = CloudEventRequests.Event();
        using (var accepted = await one.PostBatchAsync(new JsonArray(batched)))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var stored = await one.GetPageAsync("actorId=" + Uri.EscapeDataString((string)batched["source"]!));
        Assert.Equal(t1, (string?)Assert.Single(stored["logs"]!.AsArray())!["tenantId"]);
    }

    [Fact]
    public async Task The_same_idempotency_key_or_event_from_two_tenants_stores_two_entries_and_neither_replays_the_others()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        using var one = ClientWithKey(await Node.CreateKeyAsync("idem-one-" + run, [ArgusScopes.Read, ArgusScopes.Write], "t1-" + run));
        using var two = ClientWithKey(await Node.CreateKeyAsync("idem-two-" + run, [ArgusScopes.Read, ArgusScopes.Write], "t2-" + run));
        var idempotencyKey = "same-key-" + run;
        var entry = AuditJson.Minimal("idem-actor-" + run);

        using var first = await one.PostEntryAsync(entry, idempotencyKey);
        using var second = await two.PostEntryAsync(entry, idempotencyKey);
        using var again = await one.PostEntryAsync(entry, idempotencyKey);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(again.Headers.GetValues("Idempotent-Replayed")));
        var (a, b, c) = (await first.ReadObjectAsync(), await second.ReadObjectAsync(), await again.ReadObjectAsync());
        Assert.NotEqual((string?)a["id"], (string?)b["id"]);
        Assert.Equal((string?)a["id"], (string?)c["id"]);
        Assert.Equal("t1-" + run, (string?)a["tenantId"]);
        Assert.Equal("t2-" + run, (string?)b["tenantId"]);
        Assert.Equal(2, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE actor_id = $1", "idem-actor-" + run));

        var cloudEvent = CloudEventRequests.Event();
        using var fromOne = await one.PostEventAsync(cloudEvent);
        using var fromTwo = await two.PostEventAsync(cloudEvent);
        var (entryOne, duplicateOne) = await CloudEventRequests.AssertAcceptedAsync(fromOne, (string)cloudEvent["id"]!);
        var (entryTwo, duplicateTwo) = await CloudEventRequests.AssertAcceptedAsync(fromTwo, (string)cloudEvent["id"]!);
        Assert.False(duplicateOne);
        Assert.False(duplicateTwo);
        Assert.NotEqual(entryOne, entryTwo);
        Assert.Equal(2, await fixture.Database.RowsOfEventIdAsync((string)cloudEvent["id"]!));
    }

    [Theory]
    [InlineData("http://127.0.0.1:3001", true)]
    [InlineData("http://127.8.9.10:3001", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("https://LOCALHOST", true)]
    [InlineData("http://[::1]:3001", true)]
    [InlineData("127.0.0.1:3001", true)]
    [InlineData("http://0.0.0.0:3001", false)]
    [InlineData("http://[::]:3001", false)]
    [InlineData("http://*:3001", false)]
    [InlineData("http://+:3001", false)]
    [InlineData("http://192.168.1.20:3001", false)]
    [InlineData("http://argus.example.com", false)]
    public void Loopback_is_told_from_everything_else(string url, bool loopback) =>
        Assert.Equal(loopback, AuthModes.IsLoopback(url));

    [Fact]
    public void An_unset_mode_is_off_only_when_every_address_is_loopback()
    {
        Assert.Equal((AuthMode.Off, true), AuthModes.Resolve(null, []));
        Assert.Equal((AuthMode.Off, true), AuthModes.Resolve(null, ["http://127.0.0.1:3001", "http://[::1]:3001", "http://localhost:3002"]));
        Assert.Equal((AuthMode.Required, false), AuthModes.Resolve(AuthMode.Required, ["http://127.0.0.1:3001"]));
        Assert.Equal((AuthMode.Off, false), AuthModes.Resolve(AuthMode.Off, ["http://0.0.0.0:3001"]));

        var refused = Assert.Throws<InvalidOperationException>(() => AuthModes.Resolve(null, ["http://127.0.0.1:3001", "http://10.0.0.5:3001"]));
        Assert.Contains("Argus:Auth:Mode", refused.Message, StringComparison.Ordinal);
        Assert.Contains("http://10.0.0.5:3001", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("urls", "http://127.0.0.1:3001;http://localhost:3002", true)]
    [InlineData("urls", "http://127.0.0.1:3001;http://0.0.0.0:3002", false)]
    [InlineData("http_ports", "8080", false)]
    [InlineData("https_ports", "8443", false)]
    [InlineData("Kestrel:Endpoints:Api:Url", "http://127.0.0.1:3001", true)]
    [InlineData("Kestrel:Endpoints:Api:Url", "http://0.0.0.0:3001", false)]
    public void Every_way_of_giving_listen_addresses_is_considered(string key, string value, bool loopback)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var urls = AuthModes.ListenUrls(configuration);

        Assert.NotEmpty(urls);
        Assert.Equal(loopback, urls.All(AuthModes.IsLoopback));
        if (loopback)
        {
            Assert.Equal(AuthMode.Off, AuthModes.Resolve(null, urls).Mode);
        }
        else
        {
            Assert.Throws<InvalidOperationException>(() => AuthModes.Resolve(null, urls));
        }
    }

    [Fact]
    public async Task A_node_on_every_address_without_a_mode_refuses_to_start_naming_the_setting()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ArgusTestNode.StartAsync(
            fixture.Database.ConnectionString,
            new Dictionary<string, string?> { ["Urls"] = "http://0.0.0.0:0", ["Argus:Auth:Mode"] = null }));

        Assert.Contains("Argus:Auth:Mode", refused.Message, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_loopback_node_without_a_mode_runs_open_and_warns()
    {
        var logs = new CapturedLogs();
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(
            database.ConnectionString,
            new Dictionary<string, string?> { ["Argus:Auth:Mode"] = null },
            configure: builder => builder.Logging.AddProvider(logs));

        Assert.Null(node.ApiKey);
        using var anonymous = node.CreateAnonymousClient();
        var created = await anonymous.CreateAsync(AuditJson.Minimal());
        Assert.Null((string?)created["tenantId"]);
        using (var config = await anonymous.GetAsync("/v1/auditmanager/config"))
        {
            Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        }

        Assert.Equal(1, (long)(await anonymous.GetPageAsync("actorId=" + (string)created["actorId"]!))["total"]!);
        var warning = Assert.Single(logs.Entries, e => e.Message.StartsWith("Authentication is off", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Argus__Auth__Mode=Required", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_with_a_mode_set_does_not_warn()
    {
        var logs = new CapturedLogs();
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(
            database.ConnectionString,
            new Dictionary<string, string?> { ["Argus:Auth:Mode"] = "Off" },
            configure: builder => builder.Logging.AddProvider(logs));

        using var anonymous = node.CreateAnonymousClient();
        using var response = await anonymous.GetAsync(AuditApi.Path + "?limit=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(logs.Entries, e => e.Message.StartsWith("Authentication is off", StringComparison.Ordinal));
    }

    /// <summary>A 401 in the endpoint's error dialect: FastAPI's facades challenge with plain <c>Bearer</c>, as FastAPI does.</summary>
    private static async Task<string> AssertUnauthorizedAsync(HttpResponseMessage response, string what, ErrorDialect dialect = ErrorDialect.Argus)
    {
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: expected 401, got {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Equal(dialect == ErrorDialect.FastApi ? "Bearer" : AuthorizationResponses.Challenge, response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return ErrorMessage(body, dialect, HttpStatusCode.Unauthorized);
    }

    /// <summary>The message of an error body, after checking its shape is the dialect's and nothing else.</summary>
    private static string ErrorMessage(JsonObject body, ErrorDialect dialect, HttpStatusCode status)
    {
        switch (dialect)
        {
            case ErrorDialect.FastApi:
                Assert.Equal(["detail"], body.Select(p => p.Key));
                return (string)body["detail"]!;
            case ErrorDialect.Kubernetes:
                Assert.Equal(["kind", "apiVersion", "metadata", "status", "message", "reason", "code"], body.Select(p => p.Key));
                Assert.Equal(("Status", "v1", "Failure", (int)status), ((string?)body["kind"], (string?)body["apiVersion"], (string?)body["status"], (int?)body["code"]));
                Assert.Equal(status.ToString(), (string?)body["reason"]);
                return (string)body["message"]!;
            default:
                Assert.Equal(["error"], body.Select(p => p.Key));
                return (string)body["error"]!;
        }
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body.ToJsonString()}");
        return body;
    }

    private static JsonObject Merge(JsonObject entry, params (string Name, string Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            entry[name] = value;
        }

        return entry;
    }

    private HttpClient ClientWithKey(string key)
    {
        var client = Node.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add(Credentials.ApiKeyHeader, key);
        return client;
    }

    /// <summary>Every route the node maps, with the scope it asks for (none when open) and a request it would accept.</summary>
    private List<Endpoint> Endpoints()
    {
        var endpoints = Node.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(method => new Endpoint(
                method,
                "/" + e.RoutePattern.RawText!.Trim('/'),
                e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().SingleOrDefault(),
                e.Metadata.GetMetadata<ErrorDialectMetadata>()?.Dialect ?? ErrorDialect.Argus)))
            .ToList();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} endpoints found");
        Assert.All(endpoints, e => Assert.True(e.Method is "GET" or "POST" or "DELETE", $"{e.Name}: no request is known for {e.Method}"));
        return endpoints;
    }

    private sealed record Endpoint(string Method, string Path, bool Open, string? Scope, ErrorDialect Dialect)
    {
        public string Name => $"{Method} {Path}";

        /// <summary>
    /// A request the endpoint answers with success given the scope: route values filled, a valid body
    /// for appends. Sent reading only the headers, so a stream (the live tail) is judged by its status.
    /// </summary>
        public HttpRequestMessage Request(string unique)
        {
            var path = Path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{traceId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{log_id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{event_id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{name}", "no-such-key-" + Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
            Assert.DoesNotContain("{", path, StringComparison.Ordinal);

            // Verification answers for one partition, which it must be told.
            if (path == "/api/integrity/verify")
            {
                path += "?partition=0";
            }

            var request = new HttpRequestMessage(new HttpMethod(Method), path);
            // A replay and making a checkpoint take no body.
            if (Method == "POST" && !Path.EndsWith("/replay", StringComparison.Ordinal) && Path != CheckpointCalls.Path)
            {
                request.Content = Path switch
                {
                    AuditApi.Path => AuditJson.Content(AuditJson.Minimal("endpoint-" + unique)),
                    CloudEventRequests.EventsPath => CloudEventRequests.Content(CloudEventRequests.Event().ToJsonString(), CloudEventRequests.StructuredType),
                    CloudEventRequests.BatchPath => CloudEventRequests.Content(new JsonArray(CloudEventRequests.Event()).ToJsonString(), CloudEventRequests.BatchType),
                    "/api/admin/keys" => AuditJson.Content(new JsonObject
                    {
                        ["name"] = "endpoint-" + Guid.NewGuid().ToString("N"),
                        ["scopes"] = new JsonArray("audit:read"),
                    }),
                    _ => throw new InvalidOperationException($"no body is known for POST {Path}"),
                };
            }

            return request;
        }
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
