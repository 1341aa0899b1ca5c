using System.Globalization;
using Argus.Bench.Query;
using Npgsql;

// Argus.Bench.Query status  --connection CS --rows N              exit 0 when the database holds that load
// Argus.Bench.Query load    --connection CS --rows N              into a database an Argus node has just migrated
// Argus.Bench.Query measure --connection CS --url URL [--requests 2000] [--concurrency 4] [--max-seconds 60]
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Argus.Bench.Query status|load|measure --connection CS [--rows N] [--url URL] [--requests N] [--concurrency N] [--max-seconds S]");
    return 2;
}

var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string Option(string name, string? fallback = null) =>
    options.TryGetValue(name, out var value) ? value
    : fallback ?? throw new ArgumentException($"--{name} is required");

int Number(string name, int fallback) => int.Parse(Option(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var connection = new NpgsqlConnectionStringBuilder(Option("connection")) { CommandTimeout = 0, ApplicationName = "argus-bench-query" };
switch (args[0])
{
    case "status":
    {
        await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        return await new DataLoader(dataSource).IsLoadedAsync(long.Parse(Option("rows"), CultureInfo.InvariantCulture)) ? 0 : 3;
    }

    case "load":
    {
        await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        await new DataLoader(dataSource).LoadAsync(long.Parse(Option("rows"), CultureInfo.InvariantCulture));
        return 0;
    }

    case "measure":
    {
        var requests = Number("requests", 2000);
        var concurrency = Number("concurrency", 4);
        var budget = TimeSpan.FromSeconds(Number("max-seconds", 60));
        connection.MaxPoolSize = Math.Max(concurrency * 2, 10);
        await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 })
        {
            BaseAddress = new Uri(Option("url")),
            Timeout = TimeSpan.FromMinutes(5),
        };
        var results = await new QueryBenchmark(http, dataSource, requests, concurrency, budget).RunAsync();
        ResultTable.Print(results, concurrency, requests, budget);
        return results.Any(r => r.Argus?.Errors > 0) ? 1 : 0;
    }

    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}
