using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// Applies the versioned SQL scripts embedded in this assembly (<c>Storage/Sql/NNN_name.sql</c>),
/// each once, in order, in its own transaction, under an advisory lock so that silos starting
/// together never race each other.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    private const string ResourcePrefix = "Argus.Grains.Storage.Sql.";

    /// <summary>A line <c>--@step NAME</c> in a script runs the code step NAME there, in the script's transaction.</summary>
    private const string StepMarker = "--@step ";

    /// <summary>What SQL alone cannot do in a migration: computing the hash chains of stored entries.</summary>
    private static readonly Dictionary<string, Func<NpgsqlConnection, CancellationToken, Task>> Steps = new(StringComparer.Ordinal)
    {
        ["copy-with-chains"] = ChainBackfill.CopyWithChainsAsync,
    };

    public static IReadOnlyList<Migration> Migrations { get; } = LoadMigrations();

    /// <summary>Applies every migration not applied yet (up to <paramref name="upTo"/> when given: tests of an upgrade).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken) => await MigrateAsync(int.MaxValue, cancellationToken);

    public async Task MigrateAsync(int upTo, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLocks.Space}, {AdvisoryLocks.Migrations})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS argus_schema_migrations (
                    version     integer     PRIMARY KEY,
                    name        text        NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);

            var applied = new HashSet<int>();
            await using (var command = new NpgsqlCommand("SELECT version FROM argus_schema_migrations", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            foreach (var migration in Migrations.Where(m => !applied.Contains(m.Version) && m.Version <= upTo))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                foreach (var part in migration.Parts)
                {
                    if (part.Step is { } step)
                    {
                        await Steps[step](connection, cancellationToken);
                    }

                    if (string.IsNullOrWhiteSpace(part.Sql))
                    {
                        continue;
                    }

                    // No command timeout: a migration that rewrites or recounts a large log takes as long as it takes.
                    await using var apply = new NpgsqlCommand(part.Sql, connection) { CommandTimeout = 0 };
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO argus_schema_migrations (version, name) VALUES ($1, $2)", connection))
                {
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                LogApplied(migration.Version, migration.Name);
            }
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLocks.Space}, {AdvisoryLocks.Migrations})", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadMigrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..^".sql".Length];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_')), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream);
            migrations.Add(new Migration(version, name, text.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        return migrations;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);

    public sealed record Migration(int Version, string Name, string Sql)
    {
        /// <summary>The script cut at its step markers: each part's code step (none for the first) runs before its SQL.</summary>
        public IReadOnlyList<(string? Step, string Sql)> Parts { get; } = Split(Sql);

        private static List<(string? Step, string Sql)> Split(string sql)
        {
            var parts = new List<(string?, string)>();
            string? step = null;
            var text = new System.Text.StringBuilder();
            foreach (var line in sql.Split('\n'))
            {
                if (line.StartsWith(StepMarker, StringComparison.Ordinal))
                {
                    parts.Add((step, text.ToString()));
                    step = line[StepMarker.Length..].Trim();
                    text.Clear();
                    continue;
                }

                text.Append(line).Append('\n');
            }

            parts.Add((step, text.ToString()));
            return parts;
        }
    }
}
