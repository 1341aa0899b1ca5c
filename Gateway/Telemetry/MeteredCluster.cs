using System.Diagnostics;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Security;
using Argus.Grains.Abstractions.Streaming;
using Argus.Grains.Telemetry;

namespace Argus.Gateway.Telemetry;

/// <summary>
/// The cluster as the API sees it, with each read timed by shape (<c>argus_query_duration_seconds{shape}</c>).
/// </summary>
internal sealed class MeteredCluster(IArgusCluster inner, ArgusMetrics metrics) : IArgusCluster
{
    public ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken) => inner.AppendAsync(entry, cancellationToken);

    public Task<AuditPage> QueryAsync(AccessScope scope, AuditQuery query, CancellationToken cancellationToken) =>
        TimeAsync(ShapeOf(query), inner.QueryAsync(scope, query, cancellationToken));

    public Task<AuditEntry?> FindAsync(AccessScope scope, Guid id, CancellationToken cancellationToken) =>
        TimeAsync("entry", inner.FindAsync(scope, id, cancellationToken));

    public Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken) => inner.CheckHealthAsync(cancellationToken);

    public Task<TraceTimeline?> GetTraceAsync(AccessScope scope, Guid traceId, int limit, CancellationToken cancellationToken) =>
        TimeAsync("timeline", inner.GetTraceAsync(scope, traceId, limit, cancellationToken));

    public Task<AuditStats> GetStatsAsync(AccessScope scope, AuditStatsQuery query, CancellationToken cancellationToken) =>
        TimeAsync("stats", inner.GetStatsAsync(scope, query, cancellationToken));

    public Task<EventTypeList> GetEventTypesAsync(AccessScope scope, CancellationToken cancellationToken) =>
        TimeAsync("event_types", inner.GetEventTypesAsync(scope, cancellationToken));

    public Task<ResourceTypeList> GetResourceTypesAsync(AccessScope scope, CancellationToken cancellationToken) =>
        TimeAsync("resource_types", inner.GetResourceTypesAsync(scope, cancellationToken));

    public Task<long[]> GetLogHeadsAsync(CancellationToken cancellationToken) => inner.GetLogHeadsAsync(cancellationToken);

    public Task<LogSlice> ReadLogAsync(AccessScope scope, int partition, long after, long upTo, int limit, CancellationToken cancellationToken) =>
        inner.ReadLogAsync(scope, partition, after, upTo, limit, cancellationToken);

    /// <summary>
    /// The shape of a list read, as <c>./argus bench-query</c> names them: by trace, a cursor page, an
    /// offset page, or a first page (filtered or not).
    /// </summary>
    public static string ShapeOf(AuditQuery query) =>
        query.TraceId is not null ? "trace"
        : query.Cursor is not null ? "cursor"
        : query.Offset > 0 ? "offset"
        : "first_page";

    private async Task<T> TimeAsync<T>(string shape, Task<T> read)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await read;
        metrics.Queried(shape, Stopwatch.GetElapsedTime(started));
        return result;
    }
}
