using System.ComponentModel;
using System.Diagnostics;

namespace Argus.TestInfrastructure;

/// <summary>
/// A program the deployment tests run as it is installed (<c>docker-compose</c>, <c>kubectl</c>):
/// <c>./argus test</c> installs each one it lacks. Missing, it fails the test saying so.
/// </summary>
public sealed record ExternalTool(string Name, string InstalledBy)
{
    public static readonly ExternalTool DockerCompose = new("docker-compose", "./argus test installs it (apt package docker-compose)");

    public static readonly ExternalTool Kubectl = new("kubectl", "./argus test installs it when missing (see ensure_kubectl in ./argus)");

    /// <summary>Runs the tool in the checkout and returns what it printed; anything but exit 0 fails with its output.</summary>
    public async Task<string> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(Name)
        {
            WorkingDirectory = Checkout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (variable, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(variable);
            }
            else
            {
                start.Environment[variable] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{Name} is not installed here ({e.Message}): {InstalledBy}, or install it by hand.", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(deadline.Token);
            return process.ExitCode == 0
                ? await output
                : throw new InvalidOperationException($"{Name} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}:\n{await error}{await output}");
        }
    }
}
