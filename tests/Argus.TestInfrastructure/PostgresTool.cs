using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Argus.TestInfrastructure;

/// <summary>
/// A Postgres client program (<c>pg_dump</c>, <c>pg_restore</c>, <c>psql</c>) run against a test
/// database as an operator runs it: the one of the server's major version (its directory under
/// <c>/usr/lib/postgresql</c>, else the one on PATH), connected with the database's connection
/// string turned into libpq's keywords. Its error output is kept for the failure message.
/// </summary>
public sealed class PostgresTool : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder error = new();

    private PostgresTool(Process process, string name)
    {
        this.process = process;
        Name = name;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (error)
                {
                    error.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine(); // read and dropped, so the program never blocks on a full pipe
    }

    public string Name { get; }

    public bool HasExited => process.HasExited;

    /// <summary>What the program wrote to its error output so far.</summary>
    public string Error
    {
        get
        {
            lock (error)
            {
                return error.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> with <c>--dbname</c> naming the database of <paramref name="connectionString"/>, then <paramref name="arguments"/>.</summary>
    public static async Task<PostgresTool> StartAsync(string program, string connectionString, params string[] arguments)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(await PathOfAsync(program))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--dbname=" + ConnInfo(connection));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (connection.Password is { } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        return new PostgresTool(process, program);
    }

    /// <summary>Runs <paramref name="program"/> to its end; fails naming <paramref name="phase"/> unless it exits 0.</summary>
    public static async Task RunAsync(string phase, string program, string connectionString, params string[] arguments)
    {
        await using var tool = await StartAsync(program, connectionString, arguments);
        await tool.WaitForSuccessAsync(TimeSpan.FromMinutes(2), phase);
    }

    /// <summary>Waits for the program to exit; fails naming <paramref name="phase"/> unless it exits 0 in time.</summary>
    public async Task WaitForSuccessAsync(TimeSpan timeout, string phase)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{phase}: {Name} did not finish within {timeout}. Its errors:\n{Error}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{phase}: {Name} exited with {process.ExitCode}:\n{Error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    /// <summary>The program of the test server's major version when it is installed where Debian puts it, else the one on PATH.</summary>
    private static async Task<string> PathOfAsync(string program)
    {
        await using var connection = new NpgsqlConnection(TestPostgres.ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('server_version_num')::int / 10000", connection);
        var major = (int)(await command.ExecuteScalarAsync())!;
        var installed = $"/usr/lib/postgresql/{major}/bin/{program}";
        return File.Exists(installed) ? installed : program;
    }

    /// <summary>libpq's connection keywords for the same database, user and server.</summary>
    private static string ConnInfo(NpgsqlConnectionStringBuilder connection)
    {
        var parts = new List<string>
        {
            $"host={Quote(connection.Host ?? "127.0.0.1")}",
            $"port={connection.Port}",
            $"dbname={Quote(connection.Database ?? "postgres")}",
        };
        if (connection.Username is { } user)
        {
            parts.Add($"user={Quote(user)}");
        }

        return string.Join(' ', parts);
    }

    private static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
