using System.Text.Json.Nodes;
using Argus.Gateway.Health;
using Argus.Gateway.Hosting;
using Argus.Gateway.Security;
using Argus.Silo.Hosting;
using Argus.Silo.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Argus.Gateway.Tests;

/// <summary>
/// deploy/k8s as <c>kubectl kustomize</c> renders the base and the production overlay: silos and
/// gateways of one image, in their roles, with settings the code reads and accepts (a process is
/// built from them); probes, ports and services on what the code serves; the pod identity and the
/// RBAC Orleans' Kubernetes hosting needs; time to drain; secrets where the settings point.
/// </summary>
public sealed class DeploymentKubernetesTests
{
    public const string Base = "deploy/k8s/base", Production = "deploy/k8s/overlays/production";

    /// <summary>What the Secret argus-env holds (made with kubectl, never in the repository): stand-ins here.</summary>
    private static readonly Dictionary<string, string?> SecretEnvironment = new()
    {
        ["ConnectionStrings__Argus"] = "Host=postgres.example;Username=argus;Password=secret;Database=argus",
    };

    /// <summary>What the downward API and Kubernetes give a pod: stand-ins here.</summary>
    private static readonly Dictionary<string, string> Pod = new()
    {
        ["metadata.name"] = "argus-silo-5d8c7f9b6-q7x2m",
        ["metadata.namespace"] = "argus",
        ["status.podIP"] = "10.244.3.21",
    };

    public static TheoryData<string> Renders => new(Base, Production);

    [Theory]
    [MemberData(nameof(Renders))]
    public async Task Silos_and_gateways_run_one_image_in_their_roles_with_settings_the_code_reads_and_accepts(string kustomization)
    {
        var manifests = await RenderAsync(kustomization);
        var silo = Container(manifests.Get("Deployment", "argus-silo"));
        var gateway = Container(manifests.Get("Deployment", "argus-gateway"));
        var image = (string?)silo["image"];
        Assert.Equal(image, (string?)gateway["image"]);
        Assert.False(string.IsNullOrEmpty(image) || image.EndsWith(":latest", StringComparison.Ordinal) || !image.Contains(':', StringComparison.Ordinal), $"image {image} is not pinned");

        var problems = new List<string>();
        foreach (var (name, container, role) in new[] { ("argus-silo", silo, NodeRole.Node), ("argus-gateway", gateway, NodeRole.Gateway) })
        {
            var environment = Environment(manifests, container);
            problems.AddRange(environment.Keys.Where(k => k.StartsWith("Argus__", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
                .Where(k => !SettingsCatalog.IsSetting(Setting.FromEnvironmentVariable(k))).Select(k => $"{name}: {k} is no setting"));
            var settings = SettingsCatalog.FromEnvironment(environment);
            problems.AddRange(SettingsCatalog.Problems(settings).Select(p => $"{name}: {p}"));
            if (ArgusNode.RoleOf(settings) != role)
            {
                problems.Add($"{name} runs as {ArgusNode.RoleOf(settings)}, not {role}");
            }

            if (settings["Argus:Auth:Mode"] != nameof(AuthMode.Required))
            {
                problems.Add($"{name} listens beyond loopback ({settings["Urls"]}) with Argus:Auth:Mode {settings["Argus:Auth:Mode"] ?? "unset"}");
            }

            // The process these settings make, built (not started): a setting it refuses stops it here.
            try
            {
                await using var app = ArgusNode.Build([], b => b.Configuration.AddInMemoryCollection(environment.Select(e => KeyValuePair.Create(Setting.FromEnvironmentVariable(e.Key), e.Value))));
            }
            catch (Exception e) when (e is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
            {
                problems.Add($"{name} would not start: {e.Message}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Renders))]
    public async Task Probes_ports_and_services_agree_with_the_code(string kustomization)
    {
        var manifests = await RenderAsync(kustomization);
        foreach (var deployment in new[] { manifests.Get("Deployment", "argus-silo"), manifests.Get("Deployment", "argus-gateway") })
        {
            var container = Container(deployment);
            var settings = SettingsCatalog.FromEnvironment(Environment(manifests, container));
            var http = Port(container, "http");
            Assert.Equal(new Uri(settings["Urls"]!).Port, http);
            foreach (var (probe, path) in new[] { ("startupProbe", ProbeEndpoints.LivePath), ("livenessProbe", ProbeEndpoints.LivePath), ("readinessProbe", ProbeEndpoints.ReadyPath) })
            {
                Assert.Equal(path, (string?)container[probe]?["httpGet"]?["path"]);
                Assert.Equal("http", (string?)container[probe]!["httpGet"]!["port"]);
            }

            if (ArgusNode.RoleOf(settings) == NodeRole.Node)
            {
                var silo = settings.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
                Assert.Equal(silo.Port, Port(container, "silo"));
                Assert.Equal(silo.GatewayPort, Port(container, "orleans-gateway"));
            }
        }

        var service = manifests.Get("Service", "argus");
        var gatewayPods = manifests.Get("Deployment", "argus-gateway")["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.True(Selects(service["spec"]!["selector"]!.AsObject(), gatewayPods), "the Service selects no gateway pod");
        Assert.False(Selects(service["spec"]!["selector"]!.AsObject(), SiloPods(manifests)), "the Service sends requests to silos too");
        Assert.Equal("http", (string?)service["spec"]!["ports"]![0]!["targetPort"]);

        var hpa = manifests.Get("HorizontalPodAutoscaler", "argus-gateway");
        Assert.Equal(("Deployment", "argus-gateway"), ((string?)hpa["spec"]!["scaleTargetRef"]!["kind"], (string?)hpa["spec"]!["scaleTargetRef"]!["name"]));
        Assert.True(int.Parse((string)hpa["spec"]!["minReplicas"]!) <= int.Parse((string)hpa["spec"]!["maxReplicas"]!));
        Assert.NotNull(Container(manifests.Get("Deployment", "argus-gateway"))["resources"]?["requests"]?["cpu"]);
        Assert.Null(manifests.Get("Deployment", "argus-gateway")["spec"]!["replicas"]);
    }

    [Theory]
    [MemberData(nameof(Renders))]
    public async Task Silos_have_the_pod_identity_and_the_RBAC_that_Orleans_Kubernetes_hosting_needs(string kustomization)
    {
        var manifests = await RenderAsync(kustomization);
        var silo = manifests.Get("Deployment", "argus-silo");
        var container = Container(silo);
        var environment = Environment(manifests, container);
        Assert.Equal("true", environment["Argus__Silo__Kubernetes"]);
        foreach (var (variable, field) in new[] { (KubernetesHosting.PodName, "metadata.name"), (KubernetesHosting.PodNamespace, "metadata.namespace"), (KubernetesHosting.PodIP, "status.podIP") })
        {
            var entry = container["env"]!.AsArray().SingleOrDefault(e => (string?)e!["name"] == variable);
            Assert.True((string?)entry?["valueFrom"]?["fieldRef"]?["fieldPath"] == field, $"{variable} is not the pod's {field}");
        }

        var account = (string?)silo["spec"]!["template"]!["spec"]!["serviceAccountName"];
        var serviceAccount = manifests.Get("ServiceAccount", account!);
        var binding = manifests.All("RoleBinding").Single(b => b["subjects"]!.AsArray().Any(s =>
            (string?)s!["kind"] == "ServiceAccount" && (string?)s["name"] == account && (string?)s["namespace"] == (string?)serviceAccount["metadata"]!["namespace"]));
        Assert.Equal("Role", (string?)binding["roleRef"]!["kind"]);
        var rules = manifests.Get("Role", (string)binding["roleRef"]!["name"]!)["rules"]!.AsArray();
        var pods = rules.Single(r => Strings(r!["resources"]).Contains("pods"))!;
        Assert.Equal([""], Strings(pods["apiGroups"]));
        // What the hosting's agent calls: read and patch its own pod, list and watch the cluster's.
        Assert.Equal(["get", "list", "patch", "watch"], Strings(pods["verbs"]).Order());
        Assert.Equal("false", (string?)manifests.Get("Deployment", "argus-gateway")["spec"]!["template"]!["spec"]!["automountServiceAccountToken"]);
    }

    [Theory]
    [MemberData(nameof(Renders))]
    public async Task Pods_have_time_to_drain_and_disruptions_take_one_silo_at_a_time(string kustomization)
    {
        var manifests = await RenderAsync(kustomization);
        var shutdown = new HostOptions().ShutdownTimeout.TotalSeconds;
        foreach (var deployment in new[] { manifests.Get("Deployment", "argus-silo"), manifests.Get("Deployment", "argus-gateway") })
        {
            var pod = deployment["spec"]!["template"]!["spec"]!;
            var preStop = Container(deployment)["lifecycle"]?["preStop"]?["exec"]?["command"] is { } command && Strings(command) is ["sleep", var seconds] ? int.Parse(seconds) : 0;
            var grace = int.Parse((string)pod["terminationGracePeriodSeconds"]!);
            Assert.True(grace >= preStop + shutdown + 5,
                $"{deployment["metadata"]!["name"]}: {grace} s from SIGTERM to SIGKILL, for a preStop of {preStop} s and a graceful stop of up to {shutdown} s");
        }

        var strategy = manifests.Get("Deployment", "argus-silo")["spec"]!["strategy"]!["rollingUpdate"]!;
        Assert.Equal("0", (string?)strategy["maxUnavailable"]);
        var budget = manifests.All("PodDisruptionBudget").Single();
        Assert.Equal("1", (string?)budget["spec"]!["maxUnavailable"]);
        Assert.True(Selects(budget["spec"]!["selector"]!["matchLabels"]!.AsObject(), SiloPods(manifests)), "the disruption budget selects no silo");
        var gatewayPods = manifests.Get("Deployment", "argus-gateway")["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.False(Selects(budget["spec"]!["selector"]!["matchLabels"]!.AsObject(), gatewayPods), "the silos' disruption budget counts gateways");
    }

    [Theory]
    [MemberData(nameof(Renders))]
    public async Task Secrets_stay_out_of_the_settings_and_the_key_is_mounted_read_only_where_the_settings_point(string kustomization)
    {
        var manifests = await RenderAsync(kustomization);
        Assert.Empty(manifests.All("Secret"));
        foreach (var configMap in manifests.All("ConfigMap"))
        {
            var sensitive = configMap["data"]!.AsObject().Select(d => d.Key).Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.EndsWith("__Secret", StringComparison.Ordinal)).ToList();
            Assert.True(sensitive.Count == 0, $"a ConfigMap holds secrets: {string.Join(", ", sensitive)}");
        }

        foreach (var deployment in new[] { manifests.Get("Deployment", "argus-silo"), manifests.Get("Deployment", "argus-gateway") })
        {
            var pod = deployment["spec"]!["template"]!["spec"]!;
            var container = Container(deployment);
            Assert.Contains(container["envFrom"]!.AsArray(), e => (string?)e!["secretRef"]?["name"] == "argus-env");
            var file = SettingsCatalog.FromEnvironment(Environment(manifests, container))["Argus:Integrity:SigningKeyFile"]!;
            var mount = container["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == Path.GetDirectoryName(file))!;
            Assert.Equal("true", (string?)mount["readOnly"]);
            var volume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
            Assert.Equal("argus-signing-key", (string?)volume["secret"]!["secretName"]);

            // The file is readable by the process: the image's user, in the group the volume is given.
            var security = pod["securityContext"]!;
            Assert.Equal("true", (string?)security["runAsNonRoot"]);
            Assert.Equal((string?)security["runAsUser"], (string?)security["fsGroup"]);
            Assert.True((int.Parse((string)volume["secret"]!["defaultMode"]!) & 0b000_100_000) != 0, "the key is not readable by the pod's group");
        }
    }

    [Fact]
    public async Task The_production_overlay_pins_the_image_and_runs_more_and_larger_silos_and_gateways()
    {
        var based = await RenderAsync(Base);
        var production = await RenderAsync(Production);

        Assert.NotEqual((string?)Container(based.Get("Deployment", "argus-silo"))["image"], (string?)Container(production.Get("Deployment", "argus-silo"))["image"]);
        Assert.True(Replicas(production.Get("Deployment", "argus-silo")) > Replicas(based.Get("Deployment", "argus-silo")));
        Assert.True(int.Parse((string)production.Get("HorizontalPodAutoscaler", "argus-gateway")["spec"]!["minReplicas"]!)
            > int.Parse((string)based.Get("HorizontalPodAutoscaler", "argus-gateway")["spec"]!["minReplicas"]!));
        foreach (var name in new[] { "argus-silo", "argus-gateway" })
        {
            Assert.True(Memory(production.Get("Deployment", name)) > Memory(based.Get("Deployment", name)), $"{name} gets no more memory in production");
        }

        static int Replicas(JsonNode deployment) => int.Parse((string)deployment["spec"]!["replicas"]!);

        static long Memory(JsonNode deployment) =>
            ((string)Container(deployment)["resources"]!["limits"]!["memory"]!) is var text && text.EndsWith("Gi", StringComparison.Ordinal)
                ? long.Parse(text[..^2]) * 1024
                : long.Parse(text.TrimEnd('M', 'i'));
    }

    /// <summary>The rendered manifests, by kind and name.</summary>
    private sealed class Manifests(IReadOnlyList<JsonNode> documents)
    {
        public IEnumerable<JsonNode> All(string kind) => documents.Where(d => (string?)d["kind"] == kind);

        public JsonNode Get(string kind, string name) =>
            All(kind).SingleOrDefault(d => (string?)d["metadata"]!["name"] == name) ?? throw new InvalidOperationException($"no {kind} {name} in the render");
    }

    private static async Task<Manifests> RenderAsync(string kustomization) =>
        new(Yaml.Documents(await ExternalTool.Kubectl.RunAsync(["kustomize", Checkout.PathOf(kustomization)])).OfType<JsonNode>().ToList());

    private static JsonNode Container(JsonNode deployment) =>
        deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single(c => (string?)c!["name"] == "argus")!;

    /// <summary>A container's environment as its process sees it: its variables, its ConfigMaps', the Secret's and the pod's (stand-ins for what only a cluster knows).</summary>
    private static Dictionary<string, string?> Environment(Manifests manifests, JsonNode container)
    {
        var environment = new Dictionary<string, string?> { [KubernetesHosting.ServiceHost] = "10.96.0.1" };
        foreach (var source in container["envFrom"]?.AsArray() ?? [])
        {
            if (source!["configMapRef"]?["name"] is { } configMap)
            {
                foreach (var (key, value) in manifests.Get("ConfigMap", (string)configMap!)["data"]!.AsObject())
                {
                    environment[key] = (string?)value;
                }
            }
            else if ((string?)source["secretRef"]?["name"] == "argus-env")
            {
                foreach (var (key, value) in SecretEnvironment)
                {
                    environment[key] = value;
                }
            }
        }

        foreach (var variable in container["env"]?.AsArray() ?? [])
        {
            environment[(string)variable!["name"]!] = variable["valueFrom"]?["fieldRef"]?["fieldPath"] is { } field ? Pod[(string)field!] : (string?)variable["value"];
        }

        return environment;
    }

    private static JsonObject SiloPods(Manifests manifests) => manifests.Get("Deployment", "argus-silo")["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

    private static bool Selects(JsonObject selector, JsonObject labels) => selector.All(s => labels.TryGetPropertyValue(s.Key, out var value) && (string?)value == (string?)s.Value);

    private static int Port(JsonNode container, string name) =>
        int.Parse((string)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == name)!["containerPort"]!);

    private static string[] Strings(JsonNode? node) => node!.AsArray().Select(n => (string)n!).ToArray();
}
