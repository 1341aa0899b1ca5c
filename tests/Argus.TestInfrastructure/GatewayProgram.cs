using System.Diagnostics;

namespace Argus.TestInfrastructure;

/// <summary>The built gateway program (<c>Argus.Gateway.dll</c>), as its commands run in a container or from <c>./argus</c>.</summary>
public static class GatewayProgram
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    /// <summary>The gateway assembly of the same configuration as the tests (<c>./argus test</c> builds the solution first).</summary>
    public static string Assembly
    {
        get
        {
            var testDirectory = AppContext.BaseDirectory;
            var configuration = testDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
            var assembly = Path.Combine(Checkout.Root, "Gateway", "bin", configuration, "net10.0", "Argus.Gateway.dll");
            return File.Exists(assembly) ? assembly : throw new FileNotFoundException("build the solution first", assembly);
        }
    }

    /// <summary>
    /// Runs the program with <paramref name="args"/> until it exits; <paramref name="environment"/>
    /// adds variables to the test process's (a null value removes one).
    /// </summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(Assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"dotnet Argus.Gateway.dll {string.Join(' ', args)} did not exit within {limit}");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
