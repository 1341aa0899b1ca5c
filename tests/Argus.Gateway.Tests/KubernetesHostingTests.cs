using System.Net;
using Argus.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Argus.Gateway.Tests;

/// <summary>
/// A silo under Orleans' Kubernetes hosting (<c>Argus:Silo:Kubernetes</c>): named after its pod
/// (its agent declares dead the silos whose names are no pod's), advertising the pod's IP, in the
/// cluster <c>Argus:Cluster</c> names whatever Orleans' own variables say, and refusing to start
/// where it cannot be that.
/// </summary>
public sealed class KubernetesHostingTests
{
    private static readonly Dictionary<string, string?> Pod = new()
    {
        ["Argus:Silo:Kubernetes"] = "true",
        ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1",
        ["POD_NAME"] = "argus-silo-7d9f5c-x2k4p",
        ["POD_NAMESPACE"] = "argus",
        ["POD_IP"] = "10.244.1.17",
    };

    [Fact]
    public async Task Under_Kubernetes_the_silo_is_named_after_its_pod_advertises_its_IP_and_keeps_the_cluster_Argus_names()
    {
        // What Orleans' hosting reads from the environment itself, set apart from the settings
        // Argus is given, so that whichever is applied last shows.
        var environment = new Dictionary<string, string>
        {
            ["POD_NAME"] = "name-orleans-would-take",
            ["POD_NAMESPACE"] = "argus",
            ["ORLEANS_CLUSTER_ID"] = "cluster-orleans-would-take",
            ["ORLEANS_SERVICE_ID"] = "service-orleans-would-take",
        };
        foreach (var (name, value) in environment)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            await using var app = Build(new Dictionary<string, string?>(Pod)
            {
                ["Argus:Cluster:ClusterId"] = "production",
                ["Argus:Cluster:ServiceId"] = "audit",
                ["Argus:Silo:Port"] = "11111",
                ["Argus:Silo:GatewayPort"] = "30000",
            });

            Assert.Contains(app.Services.GetServices<IConfigureOptions<ClusterOptions>>(), c => c.GetType().Namespace == "Orleans.Hosting.Kubernetes");
            Assert.Equal("argus-silo-7d9f5c-x2k4p", Options<SiloOptions>(app).SiloName);
            Assert.Equal("argus-silo-7d9f5c-x2k4p", Options<Silo.Options.SiloOptions>(app).Name);
            var endpoints = Options<EndpointOptions>(app);
            Assert.Equal(IPAddress.Parse("10.244.1.17"), endpoints.AdvertisedIPAddress);
            Assert.Equal(new IPEndPoint(IPAddress.Any, 11111), endpoints.SiloListeningEndpoint);
            Assert.Equal(new IPEndPoint(IPAddress.Any, 30000), endpoints.GatewayListeningEndpoint);
            var cluster = Options<ClusterOptions>(app);
            Assert.Equal(("production", "audit"), (cluster.ClusterId, cluster.ServiceId));
        }
        finally
        {
            foreach (var name in environment.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public void Without_the_setting_no_Kubernetes_hosting_is_added()
    {
        using var app = Build(new Dictionary<string, string?>(Pod) { ["Argus:Silo:Kubernetes"] = null });

        Assert.DoesNotContain(app.Services.GetServices<IConfigureOptions<ClusterOptions>>(), c => c.GetType().Namespace == "Orleans.Hosting.Kubernetes");
        Assert.Equal(IPAddress.Loopback, Options<EndpointOptions>(app).AdvertisedIPAddress);
    }

    [Fact]
    public void Under_Kubernetes_a_process_outside_a_pod_or_given_a_name_or_address_of_its_own_refuses_to_start()
    {
        var outside = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Argus:Silo:Kubernetes"] = "true" }));
        Assert.Contains("Argus:Silo:Kubernetes is true", outside.Message, StringComparison.Ordinal);
        Assert.Contains("KUBERNETES_SERVICE_HOST is not set", outside.Message, StringComparison.Ordinal);
        foreach (var variable in new[] { "POD_NAME", "POD_IP", "POD_NAMESPACE" })
        {
            Assert.Contains($"{variable} is not set", outside.Message, StringComparison.Ordinal);
        }

        var named = Assert.Throws<InvalidOperationException>(() => Build(new(Pod) { ["Argus:Silo:Name"] = "silo-1" }));
        Assert.Contains("Argus:Silo:Name is set", named.Message, StringComparison.Ordinal);

        var addressed = Assert.Throws<InvalidOperationException>(() => Build(new(Pod) { ["Argus:Silo:AdvertisedAddress"] = "10.0.0.9" }));
        Assert.Contains("Argus:Silo:AdvertisedAddress is set", addressed.Message, StringComparison.Ordinal);

        var badIp = Assert.Throws<InvalidOperationException>(() => Build(new(Pod) { ["POD_IP"] = "pod" }));
        Assert.Contains("POD_IP 'pod' is not an IP address", badIp.Message, StringComparison.Ordinal);
    }

    /// <summary>A node built, not started: what it would run with.</summary>
    internal static WebApplication Build(Dictionary<string, string?> settings) =>
        ArgusNode.Build([], builder => builder.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["ConnectionStrings:Argus"] = "Host=127.0.0.1;Username=argus;Database=unused",
                ["Argus:Auth:Mode"] = "Off",
            })
            .AddInMemoryCollection(settings));

    private static T Options<T>(WebApplication app)
        where T : class => app.Services.GetRequiredService<IOptions<T>>().Value;
}
