using System.Diagnostics;
using Npgsql;

namespace Argus.Bench.Query;

/// <summary>
/// Loads generated entries into a database that an Argus node has migrated: drops the table's
/// indexes, streams the rows with one binary COPY, builds the indexes again (a sorted build is far
/// cheaper than maintaining eight indexes row by row), moves each partition's <c>last_seq</c> to
/// its last row, makes the maintained counts, and VACUUM ANALYZEs. A marker row records the load, so a later run with the same
/// row count reuses it.
/// </summary>
internal sealed class DataLoader(NpgsqlDataSource dataSource)
{
    private const string MarkerTable = "argus_bench_load";

    public const int Seed = 20250601;

    /// <summary>True when this database holds a finished load of exactly <paramref name="rows"/> rows.</summary>
    public async Task<bool> IsLoadedAsync(long rows)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = '{MarkerTable}') AND (SELECT rows FROM {MarkerTable} WHERE seed = {Seed}) = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rows });
        try
        {
            return await command.ExecuteScalarAsync() is true;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidCatalogName)
        {
            return false;
        }
    }

    public async Task LoadAsync(long rows)
    {
        var total = Stopwatch.StartNew();
        var partitionCount = await ScalarAsync<int>("SELECT partition_count FROM argus_cluster");
        if (await ScalarAsync<long>("SELECT count(*) FROM (SELECT 1 FROM audit_logs LIMIT 1) AS any_row") != 0)
        {
            throw new InvalidOperationException("audit_logs is not empty: load into a freshly migrated database");
        }

        var (constraints, indexes) = await ReadIndexDefinitionsAsync();
        foreach (var (name, _) in constraints)
        {
            await ExecuteAsync($"ALTER TABLE audit_logs DROP CONSTRAINT {name}");
        }

        foreach (var (name, _) in indexes)
        {
            await ExecuteAsync($"DROP INDEX {name}");
        }

        // The counting and id triggers would hold every copied row in a transition table until the COPY
        // ends: off during the load; the counts and ids are made once afterwards with one scan each.
        // The months the entries fall in (a trace may run a day past the generator's end) are made first.
        await ExecuteAsync("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_counts");
        await ExecuteAsync("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_ids");
        await ExecuteAsync(
            $"SELECT argus_ensure_months('{EntryGenerator.End - EntryGenerator.Span:yyyy-MM-dd}', '{EntryGenerator.End.AddDays(1):yyyy-MM-dd}')");
        var generator = new EntryGenerator(rows, partitionCount, Seed);
        var copy = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var importer = await connection.BeginBinaryImportAsync($"COPY audit_logs ({LoadColumns.CopyList}) FROM STDIN (FORMAT BINARY)");
            var written = 0L;
            var columns = LoadColumns.All;
            foreach (var entry in generator.Generate(new GeneratedEntry()))
            {
                importer.StartRow();
                foreach (var column in columns)
                {
                    column.Write(importer, entry);
                }

                if (++written % 1_000_000 == 0)
                {
                    Console.Error.WriteLine($"[bench-query] copied {written:N0} rows ({written / copy.Elapsed.TotalSeconds:N0} rows/s)");
                }
            }

            await importer.CompleteAsync();
        }

        copy.Stop();
        Console.Error.WriteLine($"[bench-query] COPY of {rows:N0} rows: {copy.Elapsed.TotalSeconds:N1} s ({rows / copy.Elapsed.TotalSeconds:N0} rows/s)");

        var build = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await Execute(connection, "SET maintenance_work_mem = '1GB'");
            await Execute(connection, "SET max_parallel_maintenance_workers = 2");
            foreach (var (name, definition) in constraints)
            {
                await Execute(connection, $"ALTER TABLE audit_logs ADD CONSTRAINT {name} {definition}");
            }

            foreach (var (_, definition) in indexes)
            {
                await Execute(connection, definition);
            }
        }

        build.Stop();
        Console.Error.WriteLine($"[bench-query] {constraints.Count + indexes.Count} indexes built: {build.Elapsed.TotalSeconds:N1} s");

        await using (var command = dataSource.CreateCommand(
            "UPDATE argus_partitions p SET last_seq = s.last_seq FROM unnest($1::integer[], $2::bigint[]) AS s(partition_id, last_seq) WHERE p.partition_id = s.partition_id"))
        {
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = Enumerable.Range(0, partitionCount).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = generator.LastSeq.ToArray() });
            await command.ExecuteNonQueryAsync();
        }

        var recount = Stopwatch.StartNew();
        await ExecuteAsync("INSERT INTO audit_ids (id, occurred_at) SELECT id, occurred_at FROM audit_logs");
        await ExecuteAsync("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_ids");
        await ExecuteAsync("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_counts");
        await ExecuteAsync("SELECT argus_recount()");
        recount.Stop();
        Console.Error.WriteLine($"[bench-query] ids and counts made: {recount.Elapsed.TotalSeconds:N1} s");

        var vacuum = Stopwatch.StartNew();
        await ExecuteAsync("VACUUM (ANALYZE) audit_logs, audit_ids, audit_counts_hourly, audit_counts_total");
        vacuum.Stop();
        Console.Error.WriteLine($"[bench-query] VACUUM ANALYZE: {vacuum.Elapsed.TotalSeconds:N1} s");

        await ExecuteAsync($"CREATE TABLE {MarkerTable} (rows bigint NOT NULL, seed integer NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())");
        await using (var marker = dataSource.CreateCommand($"INSERT INTO {MarkerTable} (rows, seed) VALUES ($1, $2)"))
        {
            marker.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rows });
            marker.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Seed });
            await marker.ExecuteNonQueryAsync();
        }

        total.Stop();
        var size = await ScalarAsync<string>("SELECT pg_size_pretty(pg_total_relation_size('audit_logs'))");
        Console.WriteLine($"Loaded {rows:N0} entries in {total.Elapsed.TotalSeconds:N1} s: {rows / total.Elapsed.TotalSeconds:N0} rows/s overall "
            + $"(COPY {rows / copy.Elapsed.TotalSeconds:N0} rows/s, index builds {build.Elapsed.TotalSeconds:N0} s, counts {recount.Elapsed.TotalSeconds:N0} s, vacuum {vacuum.Elapsed.TotalSeconds:N0} s); "
            + $"audit_logs with indexes: {size}");
    }

    /// <summary>The table's unique constraints (dropped and re-added as constraints) and its other indexes, as Postgres would recreate them.</summary>
    private async Task<(List<(string Name, string Definition)> Constraints, List<(string Name, string Definition)> Indexes)> ReadIndexDefinitionsAsync()
    {
        var constraints = new List<(string, string)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'audit_logs'::regclass AND contype IN ('p', 'u') ORDER BY contype, conname"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                constraints.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var indexes = new List<(string, string)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i " +
            "WHERE i.indrelid = 'audit_logs'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        return (constraints, indexes);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}
