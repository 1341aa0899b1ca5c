using Argus.Gateway.Apis;
using Argus.Gateway.Security;
using Argus.Grains.Storage;
using Npgsql;

namespace Argus.Gateway.Hosting;

/// <summary>
/// <c>Argus.Gateway keys create|list|revoke</c>: manages API keys straight in Postgres (the schema
/// is brought up to date first), with or without a node running. Nodes see a change within their
/// key refresh interval, and record it as an audit entry (actor <c>cli</c>) within their key sweep
/// interval, or at their start when none runs. Exit codes: 0 done, 1 refused (name taken, no such
/// key) or Postgres unreachable, 2 bad arguments.
/// </summary>
public static class KeysCommand
{
    public const string Actor = "cli";

    private const string Usage = """
        usage: keys create --name NAME --scopes SCOPE[,SCOPE...] [--tenant TENANT]
               keys list
               keys revoke NAME
        options: --ConnectionStrings:Argus CONNECTION (or the environment variable ConnectionStrings__Argus)
        scopes: audit:write, audit:read, audit:admin
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (!TryParse(args, out var parsed, out var problem))
        {
            await error.WriteLineAsync(problem);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        try
        {
            await using var dataSource = NpgsqlDataSource.Create(parsed.ConnectionString!);
            using var loggers = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(LogLevel.Warning));
            await new SchemaMigrator(dataSource, loggers.CreateLogger<SchemaMigrator>()).MigrateAsync(CancellationToken.None);
            var keys = new ApiKeyStore(dataSource, TimeProvider.System);
            return parsed.Verb switch
            {
                "create" => await CreateAsync(keys, parsed, output, error),
                "list" => await ListAsync(keys, output),
                _ => await RevokeAsync(keys, parsed.Name!, output, error),
            };
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await error.WriteLineAsync($"keys: Postgres cannot be reached: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> CreateAsync(ApiKeyStore keys, Parsed parsed, TextWriter output, TextWriter error)
    {
        var created = await keys.CreateAsync(parsed.Name!, parsed.Scopes, parsed.Tenant, Actor, CancellationToken.None);
        if (created is not { } made)
        {
            await error.WriteLineAsync($"keys: a key named '{parsed.Name}' exists already (names of revoked keys stay taken)");
            return 1;
        }

        await output.WriteLineAsync($"created key '{made.Record.Name}': scopes {string.Join(",", made.Record.Scopes)}, "
            + $"tenant {made.Record.TenantId ?? "(all)"}, prefix {made.Record.KeyPrefix}");
        await output.WriteLineAsync("the key follows; store it now, it is not shown again:");
        await output.WriteLineAsync(made.Key);
        return 0;
    }

    private static async Task<int> ListAsync(ApiKeyStore keys, TextWriter output)
    {
        var all = await keys.ListAsync(CancellationToken.None);
        await output.WriteLineAsync($"{"NAME",-24} {"PREFIX",-13} {"SCOPES",-36} {"TENANT",-16} {"CREATED",-28} REVOKED");
        foreach (var key in all)
        {
            await output.WriteLineAsync($"{key.Name,-24} {key.KeyPrefix,-13} {string.Join(",", key.Scopes),-36} {key.TenantId ?? "-",-16} "
                + $"{Rfc(key.CreatedAt),-28} {(key.RevokedAt is { } at ? Rfc(at) : "-")}");
        }

        return 0;
    }

    private static async Task<int> RevokeAsync(ApiKeyStore keys, string name, TextWriter output, TextWriter error)
    {
        var revoked = await keys.RevokeAsync(name, Actor, CancellationToken.None);
        if (revoked is null)
        {
            await error.WriteLineAsync($"keys: no key named '{name}'");
            return 1;
        }

        await output.WriteLineAsync($"revoked key '{name}' at {Rfc(revoked.RevokedAt!.Value)}: nodes refuse it within their key refresh interval (2 s by default)");
        return 0;
    }

    private static string Rfc(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static bool TryParse(string[] args, out Parsed parsed, out string problem)
    {
        parsed = new Parsed();
        problem = "";
        if (args.Length == 0 || args[0] is not ("create" or "list" or "revoke"))
        {
            problem = args.Length == 0 ? "keys: give a command: create, list or revoke" : $"keys: unknown command '{args[0]}'";
            return false;
        }

        parsed.Verb = args[0];
        var positional = new List<string>();
        string? scopes = null;
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var option = eq < 0 ? arg : arg[..eq];
            string? value = eq < 0 ? null : arg[(eq + 1)..];
            if (value is null)
            {
                if (i + 1 >= args.Length)
                {
                    problem = $"keys: {option} needs a value";
                    return false;
                }

                value = args[++i];
            }

            switch (option)
            {
                case "--name" when parsed.Verb == "create":
                    parsed.Name = value;
                    break;
                case "--scopes" when parsed.Verb == "create":
                    scopes = value;
                    break;
                case "--tenant" when parsed.Verb == "create":
                    parsed.Tenant = value;
                    break;
                case "--ConnectionStrings:Argus" or "--connection":
                    parsed.ConnectionString = value;
                    break;
                default:
                    problem = $"keys {parsed.Verb}: unknown option '{option}'";
                    return false;
            }
        }

        parsed.ConnectionString ??= Environment.GetEnvironmentVariable("ConnectionStrings__Argus");
        if (string.IsNullOrWhiteSpace(parsed.ConnectionString))
        {
            problem = "keys: no Postgres to use: give --ConnectionStrings:Argus CONNECTION";
            return false;
        }

        switch (parsed.Verb)
        {
            case "list" when positional.Count > 0:
            case "create" when positional.Count > 0:
                problem = $"keys {parsed.Verb}: unexpected argument '{positional[0]}'";
                return false;
            case "revoke" when positional.Count != 1:
                problem = "keys revoke: give the name of one key";
                return false;
            case "revoke":
                parsed.Name = positional[0];
                if (!AdminKeysApi.IsValidName(parsed.Name))
                {
                    problem = $"keys revoke: '{parsed.Name}' is not a key name";
                    return false;
                }

                return true;
            case "create":
                if (parsed.Name is null || !AdminKeysApi.IsValidName(parsed.Name))
                {
                    problem = "keys create: --name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";
                    return false;
                }

                parsed.Scopes = (scopes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                if (parsed.Scopes.Count == 0 || parsed.Scopes.FirstOrDefault(s => !ArgusScopes.IsKnown(s)) is { } unknown && unknown.Length > 0)
                {
                    problem = $"keys create: --scopes must list one or more of {string.Join(", ", ArgusScopes.All)}, comma-separated";
                    return false;
                }

                if (parsed.Tenant is { Length: < 1 or > AdminKeysApi.MaxTenantLength })
                {
                    problem = $"keys create: --tenant must be 1 to {AdminKeysApi.MaxTenantLength} characters";
                    return false;
                }

                return true;
            default:
                return true;
        }
    }

    private sealed class Parsed
    {
        public string Verb { get; set; } = "";

        public string? Name { get; set; }

        public List<string> Scopes { get; set; } = [];

        public string? Tenant { get; set; }

        public string? ConnectionString { get; set; }
    }
}
