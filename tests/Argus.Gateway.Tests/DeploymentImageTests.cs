using System.Text.Json;
using System.Xml.Linq;
using Argus.Gateway.Hosting;
using Argus.Gateway.Security;
using Argus.Silo.Options;

namespace Argus.Gateway.Tests;

/// <summary>
/// deploy/Dockerfile: a multi-stage build whose package layer holds every project the gateway is
/// built from, a runtime stage running the product binary as a non-root user, checking its own
/// health with the binary's probe, exposing the ports the code listens on, and the key directory
/// that compose's volume takes its owner from.
/// </summary>
public sealed class DeploymentImageTests
{
    private static readonly List<(string Instruction, string Arguments)> Dockerfile = Instructions(File.ReadAllText(Checkout.PathOf("deploy/Dockerfile")));

    [Fact]
    public void The_image_builds_in_one_stage_and_runs_the_product_binary_in_another_as_a_user_that_is_not_root()
    {
        var stages = Dockerfile.Where(i => i.Instruction == "FROM").Select(i => i.Arguments).ToList();
        Assert.Equal(2, stages.Count);
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0 ", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", stages[1], StringComparison.Ordinal);

        var runtime = Runtime();
        var user = runtime.Last(i => i.Instruction == "USER").Arguments;
        // The aspnet image's own user by number ($APP_UID), so that Kubernetes' runAsNonRoot can check it.
        Assert.Equal("$APP_UID", user);
        Assert.Equal(["dotnet", typeof(ArgusNode).Assembly.GetName().Name + ".dll"], Exec(runtime.Single(i => i.Instruction == "ENTRYPOINT").Arguments));

        var health = runtime.Single(i => i.Instruction == "HEALTHCHECK").Arguments;
        var command = health[(health.IndexOf(" CMD ", StringComparison.Ordinal) + 5)..];
        Assert.Equal(["dotnet", typeof(ArgusNode).Assembly.GetName().Name + ".dll", "probe"], Exec(command));
    }

    [Fact]
    public void The_image_listens_beyond_loopback_and_exposes_the_ports_the_code_uses()
    {
        var runtime = Runtime();
        var urls = runtime.Where(i => i.Instruction == "ENV").Select(i => i.Arguments).Single(a => a.StartsWith("Urls=", StringComparison.Ordinal))["Urls=".Length..];
        Assert.False(AuthModes.IsLoopback(urls), "a container listening on loopback only cannot be reached");
        var exposed = runtime.Where(i => i.Instruction == "EXPOSE").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToList();
        Assert.Equal([new Uri(urls).Port, SiloOptions.DefaultPort, SiloOptions.DefaultGatewayPort], exposed);
    }

    [Fact]
    public void The_package_layer_copies_every_project_the_gateway_is_built_from_and_the_context_keeps_them()
    {
        var build = Dockerfile.TakeWhile(i => !(i.Instruction == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal))).ToList();
        var copied = build.Where(i => i.Instruction == "COPY").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1)).ToHashSet();
        var needed = ProjectGraph("Gateway/Argus.Gateway.csproj")
            .Concat(["global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props"]).ToList();
        Assert.True(needed.All(copied.Contains), $"the restore layer lacks {string.Join(", ", needed.Where(n => !copied.Contains(n)))}");

        var ignored = File.ReadAllLines(Checkout.PathOf(".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var dropped = needed.Where(n => ignored.Any(i => n.StartsWith(i.TrimStart('*', '/'), StringComparison.Ordinal))).ToList();
        Assert.True(dropped.Count == 0, $".dockerignore leaves out {string.Join(", ", dropped)}");
    }

    [Fact]
    public void The_key_directory_belongs_to_the_image_user_so_a_new_volume_there_does()
    {
        var compose = File.ReadAllText(Checkout.PathOf("docker-compose.yml"));
        const string directory = "/var/lib/argus/keys";
        Assert.Contains($"Argus__Integrity__SigningKeyFile: \"{directory}/", compose, StringComparison.Ordinal);
        var run = Runtime().Where(i => i.Instruction == "RUN").Select(i => i.Arguments).Single(a => a.Contains(directory, StringComparison.Ordinal));
        Assert.Contains($"mkdir -p {directory}", run, StringComparison.Ordinal);
        Assert.Contains($"chown \"$APP_UID:$APP_UID\" {directory}", run, StringComparison.Ordinal);
    }

    private static List<(string Instruction, string Arguments)> Runtime() =>
        Dockerfile.SkipWhile(i => !(i.Instruction == "FROM" && i.Arguments.Contains(" AS runtime", StringComparison.Ordinal))).ToList();

    private static string[] Exec(string json) => JsonSerializer.Deserialize<string[]>(json)!;

    /// <summary>The Dockerfile's instructions, continuation lines joined and comments left out.</summary>
    private static List<(string, string)> Instructions(string text)
    {
        var instructions = new List<(string, string)>();
        var pending = "";
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd()))
        {
            if (line.TrimStart().StartsWith('#') || (pending.Length == 0 && line.Length == 0))
            {
                continue;
            }

            pending += line.EndsWith('\\') ? line[..^1] + " " : line;
            if (!line.EndsWith('\\'))
            {
                var cut = pending.IndexOf(' ', StringComparison.Ordinal);
                instructions.Add((pending[..cut].ToUpperInvariant(), pending[(cut + 1)..].Trim()));
                pending = "";
            }
        }

        return instructions;
    }

    /// <summary>A project and every project it references, by path from the checkout's root.</summary>
    private static IEnumerable<string> ProjectGraph(string project)
    {
        var found = new List<string>();
        var pending = new Queue<string>([project]);
        while (pending.TryDequeue(out var next))
        {
            if (found.Contains(next))
            {
                continue;
            }

            found.Add(next);
            var directory = Path.GetDirectoryName(Checkout.PathOf(next))!;
            foreach (var reference in XDocument.Load(Checkout.PathOf(next)).Descendants("ProjectReference").Select(r => (string)r.Attribute("Include")!))
            {
                pending.Enqueue(Path.GetRelativePath(Checkout.Root, Path.GetFullPath(Path.Combine(directory, reference))).Replace('\\', '/'));
            }
        }

        return found;
    }
}
