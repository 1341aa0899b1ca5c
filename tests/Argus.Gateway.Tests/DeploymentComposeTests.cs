using System.Text.Json.Nodes;
using Argus.Gateway.Health;
using Argus.Gateway.Hosting;
using Argus.Gateway.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// docker-compose.yml as Docker Compose reads it (<c>docker-compose config</c>): its services run
/// the one image in valid roles with settings the code reads and accepts, on the ports and probes
/// the code serves, started in order of health, with one checkpoint key and an opt-in collector.
/// </summary>
public sealed class DeploymentComposeTests
{
    private const string Otlp = "http://otel-collector:4317";

    [Fact]
    public async Task Every_Argus_service_runs_the_one_image_in_a_valid_role_with_settings_the_code_reads_and_accepts()
    {
        var compose = await RenderAsync();
        var argus = ArgusServices(compose);
        Assert.Equal(["gateway", "signing-key", "silo-1", "silo-2", "silo-3"], argus.Keys.Order());
        Assert.Single(argus.Values.Select(s => (string?)s["image"]).Distinct());
        foreach (var service in argus.Values)
        {
            Assert.Equal(Checkout.Root, (string?)service["build"]?["context"]);
            Assert.Equal("deploy/Dockerfile", (string?)service["build"]?["dockerfile"]);
        }

        var problems = new List<string>();
        foreach (var (name, service) in Serving(compose))
        {
            var environment = Environment(service);
            problems.AddRange(environment.Keys.Where(IsArgusSetting).Where(k => !SettingsCatalog.IsSetting(Setting.FromEnvironmentVariable(k))).Select(k => $"{name}: {k} is no setting"));
            var settings = SettingsCatalog.FromEnvironment(environment);
            problems.AddRange(SettingsCatalog.Problems(settings).Select(p => $"{name}: {p}"));
            if (!AuthModes.ListenUrls(settings).All(AuthModes.IsLoopback) && settings["Argus:Auth:Mode"] != nameof(AuthMode.Required))
            {
                problems.Add($"{name} listens beyond loopback with Argus:Auth:Mode {settings["Argus:Auth:Mode"] ?? "unset"}, not Required");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));

        var roles = Serving(compose).ToDictionary(s => s.Key, s => ArgusNode.RoleOf(Settings(s.Value)));
        Assert.Equal(["silo-1", "silo-2", "silo-3"], roles.Where(r => r.Value == NodeRole.Node).Select(r => r.Key).Order());
        Assert.Equal(["gateway"], roles.Where(r => r.Value == NodeRole.Gateway).Select(r => r.Key));

        var silos = Silos(compose).ToList();
        Assert.Equal(silos.Count, silos.Select(s => Settings(s.Value)["Argus:Silo:Name"]).OfType<string>().Distinct().Count());
        foreach (var (name, silo) in silos)
        {
            // The container's own name: it resolves, on the compose network, to this container alone.
            Assert.Equal((string?)silo["hostname"], Settings(silo)["Argus:Silo:AdvertisedAddress"]);
        }

        Assert.Equal(silos.Count, silos.Select(s => (string?)s.Value["hostname"]).Distinct().Count());

        var postgres = compose["services"]!["postgres"]!;
        foreach (var (name, service) in Serving(compose))
        {
            var connection = new NpgsqlConnectionStringBuilder(Settings(service)["ConnectionStrings:Argus"]);
            Assert.Equal(("postgres", 5432), (connection.Host, connection.Port));
            Assert.Equal((string?)postgres["environment"]!["POSTGRES_USER"], connection.Username);
            Assert.Equal((string?)postgres["environment"]!["POSTGRES_PASSWORD"], connection.Password);
            Assert.Equal((string?)postgres["environment"]!["POSTGRES_DB"], connection.Database);
        }
    }

    [Fact]
    public async Task Ports_probes_and_start_order_agree_with_the_code()
    {
        var compose = await RenderAsync();
        var gateway = compose["services"]!["gateway"]!;
        var port = UrlsPort(Settings(gateway));
        Assert.Contains(gateway["ports"]!.AsArray(), p => (string?)p!["target"] == port.ToString() && (string?)p["published"] == "3001");

        foreach (var (name, service) in Serving(compose))
        {
            var settings = Settings(service);
            string[] probe = ["CMD", "dotnet", ArgusAssembly, "probe", ProbeEndpoints.ReadyPath];
            Assert.True(probe.SequenceEqual(Strings(service["healthcheck"]!["test"])), $"{name}'s health check: {service["healthcheck"]!["test"]!.ToJsonString()}");
            Assert.Equal(UrlsPort(settings), ProbeCommand.OwnUrl(settings, ProbeEndpoints.ReadyPath).Port);
            Assert.True(Seconds((string?)service["stop_grace_period"]) > new HostOptions().ShutdownTimeout.TotalSeconds,
                $"{name} is killed before its graceful stop (bounded by the host's shutdown timeout) can end");
        }

        Assert.NotEqual(["NONE"], Strings(compose["services"]!["postgres"]!["healthcheck"]!["test"]));
        Assert.Equal(["NONE"], Strings(compose["services"]!["signing-key"]!["healthcheck"]!["test"]));
        foreach (var (name, silo) in Silos(compose))
        {
            Assert.Equal("service_healthy", (string?)silo["depends_on"]!["postgres"]!["condition"]);
            Assert.Equal("service_completed_successfully", (string?)silo["depends_on"]!["signing-key"]!["condition"]);
            Assert.Equal("service_healthy", (string?)gateway["depends_on"]![name]!["condition"]);
        }
    }

    [Fact]
    public async Task The_signing_key_is_made_once_on_a_volume_every_process_reads_and_only_its_maker_writes()
    {
        var compose = await RenderAsync();
        var maker = compose["services"]!["signing-key"]!;
        var command = Strings(maker["command"]);
        Assert.Equal("signing-key", command[0]);
        var file = command[1];
        var directory = Path.GetDirectoryName(file)!;
        var (volume, writable) = Mount(maker, directory);
        Assert.True(writable, "the signing-key service cannot write the key");
        Assert.True(compose["volumes"]!.AsObject().ContainsKey(volume), $"{volume} is no named volume");

        foreach (var (name, service) in Serving(compose))
        {
            Assert.Equal(file, Settings(service)["Argus:Integrity:SigningKeyFile"]);
            var mounted = Mount(service, directory);
            Assert.True(mounted == (volume, false), $"{name} mounts {mounted} at {directory}, not {volume} read-only");
        }

        Assert.Equal(("argus-pg", true), Mount(compose["services"]!["postgres"]!, "/var/lib/postgresql/data"));
        Assert.True(compose["volumes"]!.AsObject().ContainsKey("argus-pg"));
    }

    [Fact]
    public async Task The_observability_profile_adds_a_collector_the_services_export_to_only_when_told()
    {
        var plain = await RenderAsync();
        foreach (var name in new[] { "otel-collector", "jaeger" })
        {
            Assert.Equal(["observability"], Strings(plain["services"]![name]!["profiles"]));
        }

        foreach (var (name, service) in Serving(plain))
        {
            var environment = Environment(service);
            Assert.True(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT") && environment["OTEL_EXPORTER_OTLP_ENDPOINT"] is null,
                $"{name} sets OTEL_EXPORTER_OTLP_ENDPOINT without being told to");
        }

        var observed = await RenderAsync(observability: true, otlp: Otlp);
        foreach (var (name, service) in Serving(observed))
        {
            Assert.Equal(Otlp, Environment(service)["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        }

        var collector = observed["services"]!["otel-collector"]!;
        var configFile = Strings(collector["volumes"]).Single().Split(':')[0];
        var config = Yaml.Document(await File.ReadAllTextAsync(configFile))!;
        Assert.EndsWith(":" + new Uri(Otlp).Port, (string?)config["receivers"]!["otlp"]!["protocols"]!["grpc"]!["endpoint"], StringComparison.Ordinal);
        var traces = Strings(config["service"]!["pipelines"]!["traces"]!["exporters"]).Single();
        var backend = ((string?)config["exporters"]![traces]!["endpoint"])!.Split(':')[0];
        Assert.True(observed["services"]!.AsObject().ContainsKey(backend), $"traces go to {backend}, which is no service");

        var documented = $"OTEL_EXPORTER_OTLP_ENDPOINT={Otlp} docker compose --profile observability up";
        Assert.Contains(documented, await File.ReadAllTextAsync(Checkout.PathOf("docs/deployment.md")), StringComparison.Ordinal);
        Assert.Contains(documented, await File.ReadAllTextAsync(Checkout.PathOf("docker-compose.yml")), StringComparison.Ordinal);
    }

    private static string ArgusAssembly => typeof(ArgusNode).Assembly.GetName().Name + ".dll";

    private static async Task<JsonObject> RenderAsync(bool observability = false, string? otlp = null)
    {
        List<string> args = ["--file", Checkout.PathOf("docker-compose.yml")];
        if (observability)
        {
            args.AddRange(["--profile", "observability"]);
        }

        args.Add("config");
        var environment = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = null,
            ["ARGUS_IMAGE_TAG"] = null,
            ["COMPOSE_FILE"] = null,
            ["COMPOSE_PROFILES"] = null,
        };
        return Yaml.Document(await ExternalTool.DockerCompose.RunAsync(args, environment))!.AsObject();
    }

    /// <summary>The services that run the Argus image.</summary>
    private static Dictionary<string, JsonNode> ArgusServices(JsonObject compose) =>
        compose["services"]!.AsObject().Where(s => ((string?)s.Value!["image"])?.StartsWith("argus:", StringComparison.Ordinal) == true)
            .ToDictionary(s => s.Key, s => s.Value!);

    /// <summary>The Argus services that serve (not the one-shot key maker).</summary>
    private static Dictionary<string, JsonNode> Serving(JsonObject compose) =>
        ArgusServices(compose).Where(s => s.Value["command"] is null).ToDictionary();

    private static IEnumerable<KeyValuePair<string, JsonNode>> Silos(JsonObject compose) =>
        Serving(compose).Where(s => ArgusNode.RoleOf(Settings(s.Value)) == NodeRole.Node);

    private static Dictionary<string, string?> Environment(JsonNode service) =>
        service["environment"]!.AsObject().ToDictionary(e => e.Key, e => (string?)e.Value);

    private static IConfiguration Settings(JsonNode service) => SettingsCatalog.FromEnvironment(Environment(service));

    private static bool IsArgusSetting(string variable) =>
        variable.StartsWith("Argus__", StringComparison.OrdinalIgnoreCase) || variable.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase);

    private static int UrlsPort(IConfiguration settings) => new Uri(settings["Urls"]!.Split(';')[0].Replace("*", "0.0.0.0", StringComparison.Ordinal)).Port;

    private static (string Volume, bool Writable) Mount(JsonNode service, string path)
    {
        var mounts = Strings(service["volumes"]).Select(v => v.Split(':')).Where(v => v[1] == path).ToList();
        Assert.True(mounts.Count == 1, $"no single volume at {path}: {service["volumes"]?.ToJsonString()}");
        return (mounts[0][0], mounts[0].Length < 3 || mounts[0][2] != "ro");
    }

    private static string[] Strings(JsonNode? node) => node!.AsArray().Select(n => (string)n!).ToArray();

    private static double Seconds(string? duration) =>
        duration is not null && duration.EndsWith('s') && double.TryParse(duration[..^1], System.Globalization.CultureInfo.InvariantCulture, out var s)
            ? s
            : throw new FormatException($"'{duration}' is no duration in seconds");
}
