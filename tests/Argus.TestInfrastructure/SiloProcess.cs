using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Argus.TestInfrastructure;

/// <summary>
/// An Argus process of its own (the built <c>Argus.Gateway.dll</c>, as <c>./argus run</c> starts
/// it), so that a test can do to it what happens to real processes: SIGKILL, SIGSTOP (frozen: its
/// sockets stay open and calls to it hang), SIGCONT, SIGTERM. Its output is kept for the failure message.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private SiloProcess(Process process, string name, Uri baseAddress, int siloPort)
    {
        this.process = process;
        Name = name;
        BaseAddress = baseAddress;
        SiloPort = siloPort;
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    /// <summary>The silo's Orleans port: its silo address, and so the owner recorded for its partitions, is <c>127.0.0.1:port@generation</c>.</summary>
    public int SiloPort { get; }

    public HttpClient Client { get; }

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>What the process wrote so far (its log).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts a node (or, with <c>Argus:Role</c> = <c>Gateway</c> in <paramref name="settings"/>, a gateway) and waits until its HTTP API answers.</summary>
    /// <param name="environment">Environment variables of the process besides the test's own (such as the standard <c>OTEL_*</c>).</param>
    public static async Task<SiloProcess> StartAsync(
        string name, string connectionString, IDictionary<string, string>? settings = null, IDictionary<string, string>? environment = null)
    {
        var ports = FreePorts.Take(3);
        var arguments = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{ports[0]}",
            ["ConnectionStrings:Argus"] = connectionString,
            ["Argus:Silo:Name"] = name,
            ["Argus:Silo:Port"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Argus:Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            arguments[key] = value;
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(GatewayAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(GatewayAssembly);
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable] = value;
        }

        foreach (var (key, value) in arguments)
        {
            start.ArgumentList.Add($"--{key}");
            start.ArgumentList.Add(value);
        }

        var silo = new SiloProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"), name, new Uri($"http://127.0.0.1:{ports[0]}"), ports[1]);
        await silo.WaitUntilServingAsync(TimeSpan.FromSeconds(60));
        return silo;
    }

    /// <summary>SIGKILL: the process ends at once; the kernel closes its sockets.</summary>
    public async Task KillAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process stops running but keeps its sockets open, as a hung host or a network cut looks.</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT after <see cref="FreezeAsync"/>.</summary>
    public Task ThawAsync() => SignalAsync("CONT");

    /// <summary>SIGTERM, then waits for the process to finish its graceful shutdown.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        await SignalAsync("TERM");
        await WaitForExitAsync(timeout);
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout}. Its log:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!process.HasExited)
        {
            await SignalAsync("CONT"); // a frozen process cannot act on anything else
            await KillAsync();
        }

        process.Dispose();
    }

    private static string GatewayAssembly => GatewayProgram.Assembly;

    /// <summary>Waits until <c>/health/ready</c> answers 200: a node owns its partitions, a gateway sees a healthy cluster.</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout) => WaitUntilServingAsync(timeout, "/health/ready");

    private async Task WaitUntilServingAsync(TimeSpan timeout, string path = "/version")
    {
        var deadline = DateTime.UtcNow + timeout;
        using var interval = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} while starting. Its log:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync(path);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not answer {path} within {timeout}. Its log:\n{Output}");
            }

            await interval.WaitForNextTickAsync();
        }
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {process.Id}") { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
