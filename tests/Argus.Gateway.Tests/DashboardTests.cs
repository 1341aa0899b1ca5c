using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Argus.Gateway.Security;
using Argus.TestInfrastructure;

namespace Argus.Gateway.Tests;

/// <summary>The Orleans Dashboard: off unless enabled; when on, under its path and only for <c>audit:admin</c>, which a browser gives as Basic credentials.</summary>
public sealed class DashboardTests
{
    [Fact]
    public async Task The_dashboard_is_not_served_unless_enabled()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        using var response = await node.Client.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_enabled_dashboard_asks_a_browser_for_an_admin_key_and_shows_the_cluster()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Telemetry:DashboardEnabled"] = "true",
            ["Argus:Telemetry:DashboardPath"] = "/ops/dashboard",
        });

        using var anonymous = node.CreateAnonymousClient();
        using (var refused = await anonymous.GetAsync("/ops/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(AuthorizationResponses.BrowserChallenge, refused.Headers.WwwAuthenticate.ToString());
        }

        var reader = await node.CreateKeyAsync("dashboard-reader", [ArgusScopes.Read, ArgusScopes.Write]);
        using (var forbidden = await GetAsBrowserAsync(anonymous, "/ops/dashboard/", reader))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        var admin = await node.CreateKeyAsync("dashboard-admin", [ArgusScopes.Admin]);
        using (var page = await GetAsBrowserAsync(anonymous, "/ops/dashboard/", admin))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }

        // Its data: the silos of the cluster (by name), read through Orleans.
        await WaitUntilDashboardShowsAsync(anonymous, "/ops/dashboard", admin, node.Name);

        // A key that is not one is refused like any other bad credential.
        using var wrong = await GetAsBrowserAsync(anonymous, "/ops/dashboard/", "argus_not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task A_gateway_serves_the_dashboard_of_the_silos_behind_it()
    {
        var enabled = new Dictionary<string, string?> { ["Argus:Telemetry:DashboardEnabled"] = "true" };
        await using var cluster = await ArgusTestCluster.StartAsync(silos: 1, partitionCount: 4, enabled);
        await using var gateway = await cluster.StartGatewayAsync(enabled);
        var admin = await gateway.CreateKeyAsync("gateway-dashboard-admin", [ArgusScopes.Admin]);
        using var anonymous = gateway.CreateAnonymousClient();

        await WaitUntilDashboardShowsAsync(anonymous, "/dashboard", admin, cluster.Silos[0].Name);
    }

    /// <summary>The dashboard collects each silo's figures every second: waits until its counters list the silo.</summary>
    private static Task WaitUntilDashboardShowsAsync(HttpClient client, string path, string key, string siloName) =>
        Eventually.WaitUntilAsync(async () =>
        {
            using var counters = await GetAsBrowserAsync(client, path + "/DashboardCounters", key);
            var body = await counters.Content.ReadAsStringAsync();
            Assert.True(counters.StatusCode == HttpStatusCode.OK, body);
            return body.Contains($"\"siloName\":\"{siloName}\"", StringComparison.Ordinal);
        }, $"the dashboard to list silo {siloName}");

    private static Task<HttpResponseMessage> GetAsBrowserAsync(HttpClient client, string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + key)));
        return client.SendAsync(request);
    }
}
