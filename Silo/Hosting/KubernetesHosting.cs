using System.Net;
using Argus.Silo.Options;
using Microsoft.Extensions.Configuration;
using Orleans.Hosting.Kubernetes;

namespace Argus.Silo.Hosting;

/// <summary>
/// A silo in a Kubernetes pod (<c>Argus:Silo:Kubernetes</c>), on Orleans' Kubernetes hosting. What
/// that hosting sets, and how Argus's settings compose with it:
/// <list type="bullet">
/// <item>The silo's name: the pod's. Its agent declares dead every active silo whose name is no
/// pod of the cluster, so Argus names the silo after <c>POD_NAME</c> itself and refuses an
/// <c>Argus:Silo:Name</c>.</item>
/// <item>The advertised address: <c>POD_IP</c>, which Orleans applies only when nothing else set
/// one; Argus sets it from <c>POD_IP</c> too and refuses an <c>Argus:Silo:AdvertisedAddress</c>.
/// Unless <c>Argus:Silo:ListenAddress</c> is set, the silo listens on every address.</item>
/// <item>Cluster and service ids from <c>ORLEANS_CLUSTER_ID</c>/<c>ORLEANS_SERVICE_ID</c>: the
/// hosting is registered before Argus's own settings, and Orleans applies them in registration
/// order, so <c>Argus:Cluster</c> (which gateways read as well) decides.</item>
/// </list>
/// The pod's namespace is read from <c>POD_NAMESPACE</c>; its labels <c>orleans/clusterId</c> and
/// <c>orleans/serviceId</c> are set by the silo at start.
/// </summary>
public static class KubernetesHosting
{
    public const string PodName = KubernetesHostingOptions.PodNameEnvironmentVariable;

    public const string PodIP = KubernetesHostingOptions.PodIPEnvironmentVariable;

    public const string PodNamespace = KubernetesHostingOptions.PodNamespaceEnvironmentVariable;

    /// <summary>Set by Kubernetes in every container of a pod.</summary>
    public const string ServiceHost = "KUBERNETES_SERVICE_HOST";

    /// <summary>The pod's name and IP, or every reason this process cannot run as a silo in a pod.</summary>
    internal static SiloIdentity Identity(IConfiguration configuration)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(configuration[ServiceHost]))
        {
            problems.Add($"{ServiceHost} is not set, so this process does not run in a Kubernetes pod");
        }

        foreach (var variable in new[] { PodName, PodIP, PodNamespace }.Where(v => string.IsNullOrEmpty(configuration[v])))
        {
            problems.Add($"{variable} is not set: give it from the pod's downward API (fieldRef)");
        }

        if (configuration[PodIP] is { Length: > 0 } ip && !IPAddress.TryParse(ip, out _))
        {
            problems.Add($"{PodIP} '{ip}' is not an IP address");
        }

        foreach (var setting in new[] { "Name", "AdvertisedAddress" }.Select(s => $"{SiloOptions.Section}:{s}").Where(s => configuration[s] is not null))
        {
            problems.Add($"{setting} is set: leave it unset, the silo is named after its pod and advertises the pod's IP");
        }

        return problems.Count == 0
            ? new SiloIdentity(configuration[PodName]!, IPAddress.Parse(configuration[PodIP]!))
            : throw new InvalidOperationException($"{SiloOptions.Section}:Kubernetes is true, but " + string.Join("; ", problems) + ".");
    }
}
