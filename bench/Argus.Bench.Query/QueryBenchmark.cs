using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Argus.Bench.Query;

/// <summary>
/// Times Argus's read shapes over HTTP and the same statements run directly through Npgsql, in the
/// same run with the same inputs. Each direct call reads every row and column, as Argus does, and
/// includes the exact count only when Argus's answer carries one, so the ratio is Argus's own cost
/// (HTTP, JSON, routing) on top of Postgres.
/// </summary>
internal sealed class QueryBenchmark(HttpClient http, NpgsqlDataSource dataSource, int requests, int concurrency, TimeSpan budget)
{
    private const int PageSize = 100;
    private const int DeepOffset = 10_000;
    private const int CursorDepth = 100;

    /// <summary>How many times the two sides take turns within a shape.</summary>
    private const int Rounds = 10;

    private const string TimelineSql =
        "SELECT {0} FROM audit_logs WHERE trace_id = $1 ORDER BY occurred_at, id LIMIT 1000";

    private const string TraceSummarySql =
        "SELECT count(*), min(occurred_at), max(occurred_at), count(*) FILTER (WHERE status = 'FAILURE'), " +
        "count(DISTINCT actor_id), (array_agg(DISTINCT actor_id COLLATE \"C\" ORDER BY actor_id COLLATE \"C\"))[1:100] " +
        "FROM audit_logs WHERE trace_id = $1";

    private const string StatsSql =
        "SELECT GROUPING(status, event_type, actor_type, event_action), status, event_type, actor_type, event_action, count(*) " +
        "FROM audit_logs WHERE occurred_at >= $1 AND occurred_at < $2 " +
        "GROUP BY GROUPING SETS ((status), (event_type), (actor_type), (event_action), ())";

    private readonly string columns = LoadColumns.EntryList;

    /// <summary>How many of the shared parameters each statement uses ($1..$n), worked out once per statement, not per call.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> parameterCounts = new();

    public async Task<IReadOnlyList<(QueryShape Shape, LatencySample? Argus, LatencySample? Direct)>> RunAsync()
    {
        var rows = await ScalarAsync<long>("SELECT reltuples::bigint FROM pg_class WHERE relname = 'audit_logs'");
        var newest = await ScalarAsync<DateTime>("SELECT max(occurred_at) FROM audit_logs");
        var traces = await SampleTracesAsync(rows);
        var eventTypes = await EventTypesAsync();
        Console.Error.WriteLine($"[bench-query] {rows:N0} rows, newest {newest:O}, {traces.Count} sample traces, {eventTypes.Count} event types");

        var shapes = new List<QueryShape>
        {
            await ListShapeAsync("trace: GET /api/audit-logs?traceId", i => $"traceId={traces[i % traces.Count]}",
                i => ("WHERE trace_id = $1", [traces[i % traces.Count]], 0)),
            TimelineShape(traces),
            await ListShapeAsync("eventType+FAILURE first page", i => $"eventType={Uri.EscapeDataString(eventTypes[i % eventTypes.Count])}&status=FAILURE",
                i => ("WHERE event_type = $1 AND status = 'FAILURE'", [eventTypes[i % eventTypes.Count]], 0)),
            await ListShapeAsync("eventType+FAILURE first page, includeTotal=false",
                i => $"eventType={Uri.EscapeDataString(eventTypes[i % eventTypes.Count])}&status=FAILURE&includeTotal=false",
                i => ("WHERE event_type = $1 AND status = 'FAILURE'", [eventTypes[i % eventTypes.Count]], 0)),
            await ListShapeAsync("tenantId first page, includeTotal=false",
                i => $"tenantId=tenant-{i % 200:D3}&includeTotal=false",
                i => ("WHERE tenant_id = $1", [$"tenant-{i % 200:D3}"], 0)),
            await ListShapeAsync($"offset {DeepOffset:N0} page", _ => $"offset={DeepOffset}", _ => ("", [], DeepOffset)),
            await CursorShapeAsync(eventTypes),
            StatsShape(newest),
        };

        var runner = new LoadRunner(concurrency, budget);
        var warmupRunner = new LoadRunner(concurrency, budget / 4);
        var warmup = Math.Max(20, requests / 10);

        // The node has just started. Every shape runs on both sides before any is measured, over the
        // inputs it will be measured with (as many as 3 s allow), so the figures are the steady state
        // of a running service (methods at their optimised JIT tier, statements prepared, the inputs'
        // pages cached), not its first minute, whichever shape comes first.
        var startupRunner = new LoadRunner(concurrency, TimeSpan.FromSeconds(3));
        Console.Error.WriteLine("[bench-query] warming up every shape on both sides, twice");
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var shape in shapes.Where(s => s.NotApplicable is null))
            {
                await startupRunner.RunAsync(shape.Argus!, requests);
                await startupRunner.RunAsync(shape.Direct!, requests);
            }
        }

        var results = new List<(QueryShape, LatencySample?, LatencySample?)>();
        foreach (var shape in shapes)
        {
            if (shape.NotApplicable is not null)
            {
                Console.Error.WriteLine($"[bench-query] {shape.Name}: n/a ({shape.NotApplicable})");
                results.Add((shape, null, null));
                continue;
            }

            Console.Error.WriteLine($"[bench-query] {shape.Name}: warm-up, then up to {requests} requests each to Argus and direct, alternating in {Rounds} rounds");
            await warmupRunner.RunAsync(shape.Argus!, warmup);
            await warmupRunner.RunAsync(shape.Direct!, warmup);
            var (argus, direct) = await runner.CompareAsync(shape.Argus!, shape.Direct!, requests, Rounds);
            results.Add((shape, argus, direct));
        }

        return results;
    }

    /// <summary>GET /api/audit-logs with a filter, and its page (plus the count, when Argus answers with a total) run directly.</summary>
    private async Task<QueryShape> ListShapeAsync(string name, Func<int, string> query, Func<int, (string Where, object[] Parameters, int Offset)> direct)
    {
        var withTotal = (await ProbeAsync("/api/audit-logs?limit=" + PageSize + "&" + query(0))).TryGetProperty("total", out _);
        return new QueryShape(name,
            i => GetAsync("/api/audit-logs?limit=" + PageSize + "&" + query(i)),
            i =>
            {
                var (where, parameters, offset) = direct(i);
                return DirectPageAsync(where, parameters, offset, withTotal);
            });
    }

    private QueryShape TimelineShape(IReadOnlyList<Guid> traces) => new("trace: GET /api/traces/{id}",
        i => GetAsync($"/api/traces/{traces[i % traces.Count]}"),
        i => BatchAsync([string.Format(CultureInfo.InvariantCulture, TimelineSql, columns), TraceSummarySql], [traces[i % traces.Count]]));

    /// <summary>
    /// A page 100 pages deep by keyset: follows <c>nextCursor</c> from the first page, a few times
    /// (unfiltered and per event type), then times the request for the next page.
    /// </summary>
    private async Task<QueryShape> CursorShapeAsync(IReadOnlyList<string> eventTypes)
    {
        const string name = "cursor page 100 pages deep";
        var starts = new[] { "" }.Concat(eventTypes.Take(3).Select(t => "&eventType=" + Uri.EscapeDataString(t))).ToList();
        var deep = new List<(string Query, string Cursor, DateTime At, Guid Id, string? EventType)>();
        for (var s = 0; s < starts.Count; s++)
        {
            var page = await ProbeAsync($"/api/audit-logs?limit={PageSize}{starts[s]}");
            for (var depth = 0; depth < CursorDepth; depth++)
            {
                if (!page.TryGetProperty("nextCursor", out var next) || next.ValueKind != JsonValueKind.String)
                {
                    return depth == 0
                        ? new QueryShape(name, null, null, "this Argus answers no nextCursor")
                        : new QueryShape(name, null, null, $"fewer than {CursorDepth} pages");
                }

                var logs = page.GetProperty("logs");
                var last = logs[logs.GetArrayLength() - 1];
                var cursor = next.GetString()!;
                if (depth == CursorDepth - 1)
                {
                    deep.Add((starts[s], cursor,
                        DateTime.Parse(last.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                        last.GetProperty("id").GetGuid(), s == 0 ? null : eventTypes[s - 1]));
                    break;
                }

                page = await ProbeAsync($"/api/audit-logs?limit={PageSize}{starts[s]}&cursor={Uri.EscapeDataString(cursor)}");
            }
        }

        var withTotal = (await ProbeAsync($"/api/audit-logs?limit={PageSize}{deep[0].Query}&cursor={Uri.EscapeDataString(deep[0].Cursor)}"))
            .TryGetProperty("total", out _);
        return new QueryShape(name,
            i => GetAsync($"/api/audit-logs?limit={PageSize}{deep[i % deep.Count].Query}&cursor={Uri.EscapeDataString(deep[i % deep.Count].Cursor)}"),
            i =>
            {
                var d = deep[i % deep.Count];
                var filter = d.EventType is null ? "" : " AND event_type = $3";
                var keyset = $"WHERE (occurred_at, id) < ($1, $2){filter}";
                object[] parameters = d.EventType is null ? [d.At, d.Id] : [d.At, d.Id, d.EventType];
                var count = d.EventType is null ? "SELECT count(*) FROM audit_logs" : "SELECT count(*) FROM audit_logs WHERE event_type = $3";
                string[] sql = withTotal
                    ? [$"SELECT {columns} FROM audit_logs {keyset} ORDER BY occurred_at DESC, id DESC LIMIT {PageSize}", count]
                    : [$"SELECT {columns} FROM audit_logs {keyset} ORDER BY occurred_at DESC, id DESC LIMIT {PageSize}"];
                return BatchAsync(sql, parameters);
            });
    }

    /// <summary>Stats over 24 hours, the window ending at a different hour of the newest week for each request.</summary>
    private QueryShape StatsShape(DateTime newest)
    {
        DateTime End(int i) => newest.AddHours(-(i * 7 % 168)).AddSeconds(1);
        return new QueryShape("stats over 24 h",
            i => GetAsync($"/api/audit-logs/stats?since={Rfc3339(End(i).AddDays(-1))}&until={Rfc3339(End(i))}"),
            i => BatchAsync([StatsSql], [End(i).AddDays(-1), End(i)]));
    }

    private async Task<bool> GetAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync(pathAndQuery, HttpCompletionOption.ResponseContentRead);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode;
    }

    private async Task<JsonElement> ProbeAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync(pathAndQuery);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {pathAndQuery}: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private Task<bool> DirectPageAsync(string where, object[] parameters, int offset, bool withTotal)
    {
        var page = $"SELECT {columns} FROM audit_logs {where} ORDER BY occurred_at DESC, id DESC LIMIT {PageSize} OFFSET {offset}";
        return BatchAsync(withTotal ? [page, $"SELECT count(*) FROM audit_logs {where}"] : [page], parameters);
    }

    /// <summary>The statements in one round trip, every value of every row read, as Argus reads them.</summary>
    private async Task<bool> BatchAsync(string[] statements, object[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var sql in statements)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var value in parameters.Take(parameterCounts.GetOrAdd(sql, HighestParameter)))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync();
        do
        {
            while (await reader.ReadAsync())
            {
                for (var c = 0; c < reader.FieldCount; c++)
                {
                    _ = reader.GetValue(c);
                }
            }
        }
        while (await reader.NextResultAsync());

        return true;
    }

    /// <summary>Up to 2,000 distinct trace ids from random pages of the table.</summary>
    private async Task<IReadOnlyList<Guid>> SampleTracesAsync(long rows)
    {
        var percent = Math.Min(100.0, 20_000.0 * 100 / Math.Max(rows, 1));
        await using var command = dataSource.CreateCommand(
            $"SELECT DISTINCT trace_id FROM audit_logs TABLESAMPLE SYSTEM ({percent.ToString(CultureInfo.InvariantCulture)}) REPEATABLE (7) WHERE trace_id IS NOT NULL LIMIT 2000");
        var traces = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            traces.Add(reader.GetGuid(0));
        }

        var random = new Random(11);
        return traces.OrderBy(_ => random.Next()).ToList();
    }

    /// <summary>The event types, read through Argus's own vocabulary endpoint.</summary>
    private async Task<IReadOnlyList<string>> EventTypesAsync()
    {
        var body = await ProbeAsync("/api/audit-logs/event-types");
        var random = new Random(13);
        return body.GetProperty("eventTypes").EnumerateArray().Select(t => t.GetString()!).OrderBy(_ => random.Next()).ToList();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static int HighestParameter(string sql) =>
        System.Text.RegularExpressions.Regex.Matches(sql, @"\$(\d+)").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    private static string Rfc3339(DateTime utc) =>
        Uri.EscapeDataString(utc.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture));
}
