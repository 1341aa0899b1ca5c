using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Argus.Gateway.Tests;

/// <summary>The admin key API and the <c>keys</c> command: keys made, listed, used and revoked on real nodes over a real Postgres.</summary>
public sealed class AdminKeysTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private ArgusTestNode Node => fixture.Node;

    [Fact]
    public async Task A_key_is_made_listed_and_revoked_and_shown_only_once()
    {
        var name = "ops-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await Node.Client.PostKeyAsync(name, ["audit:read", "audit:write"], "tenant-a");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var body = await created.ReadJsonAsync();
        var key = (string)body["key"]!;
        Assert.StartsWith("argus_", key, StringComparison.Ordinal);
        Assert.Equal(name, (string?)body["name"]);
        Assert.Equal(key[..12], (string?)body["prefix"]);
        Assert.Equal(["audit:read", "audit:write"], body["scopes"]!.AsArray().Select(s => (string)s!));
        Assert.Equal("tenant-a", (string?)body["tenantId"]);
        Assert.Null(body["revokedAt"]);

        using var list = await Node.Client.GetAsync(KeyCalls.Path);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listText = await list.Content.ReadAsStringAsync();
        Assert.DoesNotContain(key, listText, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", listText, StringComparison.OrdinalIgnoreCase);
        var listed = JsonNode.Parse(listText)!["keys"]!.AsArray().Single(k => (string?)k!["name"] == name)!.AsObject();
        Assert.Equal(["name", "prefix", "scopes", "tenantId", "createdAt", "revokedAt", "createdBy", "revokedBy"], listed.Select(p => p.Key));
        Assert.Equal(key[..12], (string?)listed["prefix"]);
        Assert.StartsWith("key:test-all-", (string?)listed["createdBy"], StringComparison.Ordinal);

        using var revoked = await Node.Client.DeleteAsync($"{KeyCalls.Path}/{name}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var revokedText = await revoked.Content.ReadAsStringAsync();
        Assert.DoesNotContain(key, revokedText, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(revokedText)!["revokedAt"]);

        using var unknown = await Node.Client.DeleteAsync($"{KeyCalls.Path}/no-such-key");
        await AuditApi.AssertErrorAsync(unknown, HttpStatusCode.NotFound, "name", messageNamesField: false);
    }

    [Fact]
    public async Task Bad_requests_name_the_field_and_a_taken_name_is_a_conflict()
    {
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync("-bad", ["audit:read"]), HttpStatusCode.BadRequest, "name");
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync(new string('a', 65), ["audit:read"]), HttpStatusCode.BadRequest, "name");
        await AuditApi.AssertErrorAsync(await Node.Client.PostRawAsync("""{"name":"ok\n","scopes":["audit:read"]}"""), HttpStatusCode.BadRequest, "name");
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync("ok-1", ["audit:everything"]), HttpStatusCode.BadRequest, "scopes");
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync("ok-1", []), HttpStatusCode.BadRequest, "scopes");
        await AuditApi.AssertErrorAsync(await Node.Client.PostRawAsync("""{"name":"ok-1"}"""), HttpStatusCode.BadRequest, "scopes");
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync("ok-1", ["audit:read"], ""), HttpStatusCode.BadRequest, "tenantId");
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync("ok-1", ["audit:read"], new string('t', 129)), HttpStatusCode.BadRequest, "tenantId");
        await AuditApi.AssertErrorAsync(await Node.Client.PostRawAsync("""{"name":"ok-1","scopes":["audit:read"],"tenantId":7}"""), HttpStatusCode.BadRequest, "tenantId");
        await AuditApi.AssertErrorAsync(await Node.Client.PostRawAsync("[1]"), HttpStatusCode.BadRequest, "body");

        var name = "taken-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await Node.Client.PostKeyAsync(name, ["audit:read"])).StatusCode);
        await AuditApi.AssertErrorAsync(await Node.Client.PostKeyAsync(name, ["audit:write"]), HttpStatusCode.Conflict, "name");
    }

    [Fact]
    public async Task Admin_endpoints_need_a_credential_with_audit_admin()
    {
        using var anonymous = Node.CreateAnonymousClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(KeyCalls.Path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostKeyAsync("x-1", ["audit:read"])).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync(KeyCalls.Path + "/x-1")).StatusCode);

        var reader = await Node.CreateKeyAsync("reader-" + Guid.NewGuid().ToString("N")[..8], ["audit:read", "audit:write"]);
        using var client = Node.WithKey(reader);
        using var list = await client.GetAsync(KeyCalls.Path);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Contains("audit:admin", (string?)(await list.ReadJsonAsync())["error"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostKeyAsync("x-2", ["audit:read"])).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync(KeyCalls.Path + "/x-2")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_manages_only_its_tenants_keys()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var admin = await Node.CreateKeyAsync("tadmin-" + suffix, ["audit:admin"], "tenant-" + suffix);
        Assert.Equal(HttpStatusCode.Created, (await Node.Client.PostKeyAsync("other-" + suffix, ["audit:read"], "elsewhere")).StatusCode);
        using var client = Node.WithKey(admin);

        await AuditApi.AssertErrorAsync(await client.PostKeyAsync("mine-x-" + suffix, ["audit:read"], "elsewhere"), HttpStatusCode.Forbidden, "tenantId");
        using var mine = await client.PostKeyAsync("mine-" + suffix, ["audit:read"]);
        Assert.Equal("tenant-" + suffix, (string?)(await mine.ReadJsonAsync())["tenantId"]);
        var names = (await (await client.GetAsync(KeyCalls.Path)).ReadJsonAsync())["keys"]!.AsArray().Select(k => (string)k!["name"]!).ToList();
        Assert.Equal(["mine-" + suffix, "tadmin-" + suffix], names);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"{KeyCalls.Path}/other-{suffix}")).StatusCode);
    }

    [Fact]
    public async Task A_key_made_through_the_api_works_at_once()
    {
        using var created = await Node.Client.PostKeyAsync("writer-" + Guid.NewGuid().ToString("N")[..8], ["audit:write"]);
        var key = (string)(await created.ReadJsonAsync())["key"]!;
        using var client = Node.WithKey(key);
        using var response = await client.PostEntryAsync(AuditJson.Minimal("fresh-key-writer"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await client.ReadStatusAsync());
    }

    [Fact]
    public async Task A_revoked_key_stops_working_on_every_node_within_five_seconds()
    {
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 2, partitionCount: 4);
        var (first, second) = (cluster.Silos[0], cluster.Silos[1]);
        using var created = await first.Client.PostKeyAsync("short-lived", ["audit:read"]);
        var key = (string)(await created.ReadJsonAsync())["key"]!;
        using var onFirst = first.WithKey(key);
        using var onSecond = second.WithKey(key);
        Assert.Equal(HttpStatusCode.OK, await onSecond.ReadStatusAsync());
        Assert.Equal(HttpStatusCode.OK, await onFirst.ReadStatusAsync());

        using var revoked = await first.Client.DeleteAsync(KeyCalls.Path + "/short-lived");
        var sinceRevoke = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await Eventually.WaitUntilAsync(
            async () => await onSecond.ReadStatusAsync() == HttpStatusCode.Unauthorized && await onFirst.ReadStatusAsync() == HttpStatusCode.Unauthorized,
            "the revoked key to be refused on both nodes", TimeSpan.FromSeconds(5));
        Assert.True(sinceRevoke.Elapsed < TimeSpan.FromSeconds(5), $"refused everywhere only after {sinceRevoke.Elapsed}");
    }

    [Fact]
    public async Task The_keys_command_makes_lists_and_revokes_keys_in_postgres()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var create = await KeysCli.RunAsync(fixture.Database.ConnectionString, "create", "--name", name, "--scopes", "audit:write,audit:read");
        Assert.True(create.ExitCode == 0, create.ToString());
        var key = create.Lines[^1];
        Assert.StartsWith("argus_", key, StringComparison.Ordinal);
        Assert.Equal(1, create.Lines.Count(l => l.Contains(key, StringComparison.Ordinal)));

        using var client = Node.WithKey(key);
        Assert.Equal(HttpStatusCode.Created, (await client.PostEntryAsync(AuditJson.Minimal("cli-made-key"))).StatusCode);

        var list = await KeysCli.RunAsync(fixture.Database.ConnectionString, "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(list.Lines, l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(key[..12], StringComparison.Ordinal));
        Assert.DoesNotContain(key, list.Output, StringComparison.Ordinal);

        Assert.Equal(1, (await KeysCli.RunAsync(fixture.Database.ConnectionString, "create", "--name", name, "--scopes", "audit:read")).ExitCode);
        Assert.Equal(2, (await KeysCli.RunAsync(fixture.Database.ConnectionString, "create", "--name", "x", "--scopes", "audit:bogus")).ExitCode);
        Assert.Equal(2, (await KeysCli.RunAsync(fixture.Database.ConnectionString, "create", "--scopes", "audit:read")).ExitCode);
        Assert.Equal(2, (await KeysCli.RunAsync(fixture.Database.ConnectionString, "frobnicate")).ExitCode);
        Assert.Equal(1, (await KeysCli.RunAsync(fixture.Database.ConnectionString, "revoke", "no-such-key")).ExitCode);

        var revoke = await KeysCli.RunAsync(fixture.Database.ConnectionString, "revoke", name);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        await Eventually.WaitUntilAsync(async () => await client.ReadStatusAsync() == HttpStatusCode.Unauthorized,
            "the key revoked by the command to be refused", TimeSpan.FromSeconds(5));
    }
}

/// <summary>Runs the built gateway executable's <c>keys</c> command as a process.</summary>
internal static class KeysCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static async Task<Result> RunAsync(string connectionString, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(GatewayDll());
        start.ArgumentList.Add("keys");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--ConnectionStrings:Argus");
        start.ArgumentList.Add(connectionString);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>The gateway built beside these tests (same configuration), in the checkout.</summary>
    private static string GatewayDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Argus.sln")))
        {
            dir = dir.Parent;
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("the checkout was not found above " + AppContext.BaseDirectory),
            "Gateway", "bin", configuration, "net10.0", "Argus.Gateway.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the gateway first", dll);
    }
}
