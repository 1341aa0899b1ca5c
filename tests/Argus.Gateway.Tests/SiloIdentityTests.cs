using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Argus.Gateway.Tests;

/// <summary>
/// <c>Argus:Silo:AdvertisedAddress</c> given as a host name (a container's own name under
/// docker compose): resolved once at start to the one address the others reach the silo at; a
/// name that does not resolve stops the node there, naming the setting.
/// </summary>
public sealed class SiloIdentityTests
{
    [Fact]
    public async Task A_silo_advertises_the_one_address_its_host_name_resolves_to_and_serves_as_usual()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?> { ["Argus:Silo:AdvertisedAddress"] = "localhost" });

        Assert.Equal(IPAddress.Loopback, node.Service<ILocalSiloDetails>().SiloAddress.Endpoint.Address);
        using var ready = await node.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public void A_host_name_that_does_not_resolve_or_is_no_name_stops_the_node_naming_the_setting()
    {
        var unresolved = Assert.Throws<InvalidOperationException>(() =>
            KubernetesHostingTests.Build(new() { ["Argus:Silo:AdvertisedAddress"] = "no-such-host.invalid" }));
        Assert.StartsWith("Argus:Silo:AdvertisedAddress 'no-such-host.invalid' cannot be resolved", unresolved.Message, StringComparison.Ordinal);

        var invalid = Assert.Throws<OptionsValidationException>(() => KubernetesHostingTests.Build(new() { ["Argus:Silo:AdvertisedAddress"] = "not a name" }));
        Assert.Contains("Argus:Silo:AdvertisedAddress must be an IP address or a host name.", invalid.Message, StringComparison.Ordinal);
    }
}
