using System.Net;
using System.Net.Sockets;
using Argus.Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace Argus.Gateway.Tests;

/// <summary>
/// <c>probe</c>, the health check of the container image: exit 0 only for a 2xx answer, 1 for a
/// failing probe, a refused connection or no answer in time, and by default the process's own
/// liveness probe on the port of its <c>Urls</c>.
/// </summary>
public sealed class ProbeCommandTests
{
    [Fact]
    public async Task Probe_exits_0_while_the_probe_answers_2xx_and_1_when_it_fails_or_nothing_listens()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);

        var live = await ProbeAsync(new Uri(node.BaseAddress, "/health/live").ToString());
        Assert.True(live.ExitCode == 0, live.ToString());
        Assert.Contains(": 200 ", live.Output, StringComparison.Ordinal);

        await using (await PostgresOutage.BeginAsync(database))
        {
            var ready = await ProbeAsync(new Uri(node.BaseAddress, "/health/ready").ToString());
            Assert.True(ready.ExitCode == 1, ready.ToString());
            Assert.Contains(": 503 ", ready.Error, StringComparison.Ordinal);
            Assert.Contains("Postgres does not answer", ready.Error, StringComparison.Ordinal);
        }

        var closed = await ProbeAsync($"http://127.0.0.1:{FreePorts.Take(1)[0]}/health/live");
        Assert.True(closed.ExitCode == 1, closed.ToString());
    }

    [Fact]
    public async Task Probe_gives_up_on_a_server_that_accepts_and_never_answers()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/health/live";

        var probe = ProbeAsync(url);
        using var connection = await silent.AcceptTcpClientAsync();
        var result = await probe;

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"no answer within {ProbeCommand.Timeout.TotalSeconds:0} s", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:3001", "http://127.0.0.1:3001/health/live")]
    [InlineData("http://+:8080", "http://127.0.0.1:8080/health/live")]
    [InlineData("http://*:8081", "http://127.0.0.1:8081/health/live")]
    [InlineData("http://[::]:8082", "http://127.0.0.1:8082/health/live")]
    [InlineData("http://localhost:8083", "http://127.0.0.1:8083/health/live")]
    [InlineData("http://10.1.2.3:8084", "http://10.1.2.3:8084/health/live")]
    [InlineData("http://[::1]:8085", "http://[::1]:8085/health/live")]
    [InlineData("https://0.0.0.0:8443;http://0.0.0.0:8086", "http://127.0.0.1:8086/health/live")]
    [InlineData(null, "http://127.0.0.1:5000/health/live")]
    public void Without_a_url_the_probe_asks_the_process_own_http_address(string? urls, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Urls"] = urls }).Build();

        Assert.Equal(expected, ProbeCommand.OwnUrl(configuration, "/health/live").ToString());
    }

    [Fact]
    public async Task The_program_probes_its_own_liveness_and_readiness_on_the_port_of_its_Urls_setting()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString);
        var environment = new Dictionary<string, string?> { ["Urls"] = $"http://0.0.0.0:{node.BaseAddress.Port}", ["ASPNETCORE_URLS"] = null };

        var live = await GatewayProgram.RunAsync(["probe"], environment);
        Assert.True(live.ExitCode == 0, live.ToString());
        Assert.Contains($"http://127.0.0.1:{node.BaseAddress.Port}/health/live: 200", live.Output, StringComparison.Ordinal);

        var ready = await GatewayProgram.RunAsync(["probe", "/health/ready"], environment);
        Assert.True(ready.ExitCode == 0, ready.ToString());

        await node.StopAsync();
        var stopped = await GatewayProgram.RunAsync(["probe"], environment);
        Assert.True(stopped.ExitCode == 1, stopped.ToString());

        var wrong = await GatewayProgram.RunAsync(["probe", "health"], environment);
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
    }

    private static async Task<GatewayProgram.Result> ProbeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ProbeCommand.RunAsync(args, output, error);
        return new GatewayProgram.Result(exit, output.ToString(), error.ToString());
    }
}
