using Argus.Client.Hosting;
using Argus.Grains.Integrity;
using Argus.Grains.Retention;
using Argus.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Argus.Gateway.Hosting;

/// <summary>
/// <c>Argus.Gateway maintenance</c>: one maintenance run (<see cref="PartitionMaintenance"/>) against
/// Postgres, with or without a node running (it waits for a run a silo has under way), and prints
/// the months it made and dropped. Settings as a node reads them: <c>appsettings.json</c>, the
/// environment (<c>Argus__Retention__Days</c>, ...), then the options (<c>--Argus:Retention:Days 30</c>).
/// Exit codes: 0 done, 1 months past retention kept (no signing key, or a drop that could not
/// run) or Postgres unreachable, 2 bad arguments or settings.
/// </summary>
public static class MaintenanceCommand
{
    private const string Usage = """
        usage: maintenance [--connection CONNECTION] [--Argus:Retention:Days N] [--Argus:Retention:MonthsAhead N]
                           [--Argus:Integrity:SigningKeyFile FILE]
        CONNECTION is a Postgres connection string (or --ConnectionStrings:Argus, or the environment variable ConnectionStrings__Argus).
        """;

    /// <summary>The settings it takes as options (others come from appsettings.json and the environment).</summary>
    private static readonly string[] Settable =
    [
        "--ConnectionStrings:Argus", "--" + RetentionOptions.Section + ":Days", "--" + RetentionOptions.Section + ":MonthsAhead",
        "--" + IntegrityOptions.Section + ":SigningKeyFile",
    ];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        IConfiguration configuration;
        RetentionOptions retention;
        IntegrityOptions integrity;
        string connectionString;
        try
        {
            configuration = Read(args);
            connectionString = configuration.GetConnectionString("Argus") is { Length: > 0 } given
                ? given
                : throw new ArgumentException("maintenance: no Postgres to use: give --connection CONNECTION");
            retention = ValidatedOptions.Read<RetentionOptions>(configuration.GetSection(RetentionOptions.Section), o => o.Validate());
            integrity = ValidatedOptions.Read<IntegrityOptions>(configuration.GetSection(IntegrityOptions.Section), o => o.Validate());
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or OptionsValidationException)
        {
            await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        using var loggers = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        using var key = new CheckpointKey(Microsoft.Extensions.Options.Options.Create(integrity), loggers.CreateLogger<CheckpointKey>());
        try
        {
            _ = key.Key;
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync("maintenance: " + e.Message);
            return 2;
        }

        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await new SchemaMigrator(dataSource, loggers.CreateLogger<SchemaMigrator>()).MigrateAsync(CancellationToken.None);
            var maintenance = new PartitionMaintenance(
                dataSource, new CheckpointStore(dataSource), key, Microsoft.Extensions.Options.Options.Create(retention), TimeProvider.System, loggers.CreateLogger<PartitionMaintenance>());
            var report = await maintenance.RunAsync(wait: true, CancellationToken.None);
            await PrintAsync(report, retention, output);
            if (report.Problem is not null)
            {
                await error.WriteLineAsync("maintenance: " + report.Problem);
                return 1;
            }

            return 0;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await error.WriteLineAsync($"maintenance: Postgres cannot be reached: {e.Message}");
            return 1;
        }
    }

    private static async Task PrintAsync(MaintenanceReport report, RetentionOptions retention, TextWriter output)
    {
        foreach (var month in report.Created)
        {
            await output.WriteLineAsync($"made {month}");
        }

        if (report.Created.Count == 0)
        {
            await output.WriteLineAsync($"made no month: the current one and {retention.MonthsAhead} ahead exist");
        }

        foreach (var month in report.Dropped)
        {
            await output.WriteLineAsync(month.CheckpointId is { } id
                ? $"dropped {month.Table}: {month.Entries} entries, vouched for by retention checkpoint {id}"
                : $"dropped {month.Table}: empty");
        }

        foreach (var month in report.Kept)
        {
            await output.WriteLineAsync($"kept {month}, past retention");
        }

        if (report.Dropped.Count == 0 && report.Kept.Count == 0)
        {
            await output.WriteLineAsync(retention.Days is { } days
                ? $"dropped nothing: no month ended more than {days} days ago"
                : $"dropped nothing: {RetentionOptions.Section}:Days is not set, every entry is kept");
        }
    }

    /// <summary>The settings: appsettings.json beside the program, the environment, then the arguments (<c>--connection</c> for the connection string).</summary>
    private static IConfiguration Read(string[] args)
    {
        var given = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg : arg[..eq];
            if (name == "--connection")
            {
                name = "--ConnectionStrings:Argus";
            }
            else if (!Settable.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException(arg.StartsWith("--", StringComparison.Ordinal)
                    ? $"maintenance: unknown option '{name}'"
                    : $"maintenance: unexpected argument '{arg}'");
            }

            if (eq >= 0)
            {
                given.Add(name + arg[eq..]);
            }
            else if (i + 1 < args.Length)
            {
                given.Add(name);
                given.Add(args[++i]);
            }
            else
            {
                throw new ArgumentException($"maintenance: {name} needs a value");
            }
        }

        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. given])
            .Build();
    }
}
