using System.Net;
using System.Net.Http.Json;
using Argus.Client.Routing;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Partitioning;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;
using Microsoft.Extensions.Options;

namespace Argus.Client;

/// <summary>
/// The cluster for in-cluster .NET services and gateways: no gateway hop. It discovers the silos
/// from seed addresses, caches the partition map, sends each entry straight to the silo owning
/// its partition, and on a 421 or a connection failure refreshes the map and retries, up to
/// <see cref="ArgusClusterOptions.RoutingTimeout"/>. The entry's id is fixed by the caller before
/// the first attempt, so no retry can store it twice. Reads go to any live silo, which answers them
/// for the whole cluster and checks cursors (this client holds no key).
/// </summary>
public sealed class ArgusClusterClient : IArgusCluster
{
    private readonly SiloProtocol silos;
    private readonly HttpClient http;
    private readonly ArgusClusterOptions options;
    private readonly TimeProvider time;
    private volatile PartitionMap? map;

    public ArgusClusterClient(IOptions<ArgusClusterOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
        silos = SiloProtocol.Create(this.options.RequestTimeout);
        http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), MaxConnectionsPerServer = 256 })
        {
            Timeout = this.options.RequestTimeout,
        };
    }

    public async ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var current = map ?? await RefreshAsync(cancellationToken);
            if (current?.OwnerOf(entry.PartitionKey) is { } owner
                && await silos.AppendAsync(owner, entry, cancellationToken) is { Status: not AppendStatus.NotOwner } result)
            {
                return result;
            }

            map = null; // no owner known, misdirected or unreachable: read the map again
            var remaining = options.RoutingTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return AppendResult.Failed(AppendStatus.Unavailable, "no silo owning the entry's partition could be reached; retry later");
            }

            await Task.Delay(SiloProtocol.RetryPause(attempt, remaining), time, cancellationToken);
        }
    }

    /// <summary>A page as any live silo answers it (the silo fans the query out and checks the cursor).</summary>
    /// <exception cref="AuditValidationException">The silo refused the query (a cursor that is not valid for it).</exception>
    /// <exception cref="ArgusUnavailableException">No silo could answer.</exception>
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        using var response = await ReadFromAnySiloAsync("api/audit-logs" + ArgusClient.ToQueryString(query), cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            var refusal = await response.Content.ReadFromJsonAsync(ArgusJsonContext.Default.ErrorResponse, cancellationToken);
            throw new AuditValidationException(refusal?.Field ?? "query", refusal?.Error ?? "Validation error: the query was refused");
        }

        return await ReadAsync(response, ArgusJsonContext.Default.AuditPage, cancellationToken);
    }

    public async Task<AuditEntry?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await ReadFromAnySiloAsync("api/audit-logs/" + id, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await response.Content.ReadFromJsonAsync(ArgusJsonContext.Default.AuditEntry, cancellationToken);
    }

    public async Task<TraceTimeline?> GetTraceAsync(Guid traceId, int limit, CancellationToken cancellationToken)
    {
        using var response = await ReadFromAnySiloAsync(ArgusClient.TracePath(traceId, limit), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return await ReadAsync(response, ArgusJsonContext.Default.TraceTimeline, cancellationToken);
    }

    public async Task<AuditStats> GetStatsAsync(AuditStatsQuery query, CancellationToken cancellationToken)
    {
        using var response = await ReadFromAnySiloAsync(ArgusClient.StatsPath(query), cancellationToken);
        return await ReadAsync(response, ArgusJsonContext.Default.AuditStats, cancellationToken);
    }

    public async Task<EventTypeList> GetEventTypesAsync(CancellationToken cancellationToken)
    {
        using var response = await ReadFromAnySiloAsync(ArgusClient.EventTypesPath, cancellationToken);
        return await ReadAsync(response, ArgusJsonContext.Default.EventTypeList, cancellationToken);
    }

    /// <summary>Healthy while some silo answers healthy and every partition has an owner.</summary>
    public async Task<HealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var current = await RefreshAsync(cancellationToken);
        if (current is null)
        {
            return new HealthReport(false, "no silo reachable");
        }

        var unowned = current.Owners.Count(o => o is null);
        return unowned == 0 ? HealthReport.Ok : new HealthReport(false, $"{unowned} partitions have no owner");
    }

    /// <summary>Reads the map from the first silo that answers: known owners first, then the seeds.</summary>
    private async Task<PartitionMap?> RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var silo in Candidates())
        {
            if (await silos.GetPartitionMapAsync(silo, cancellationToken) is { } fresh)
            {
                map = fresh;
                return fresh;
            }
        }

        return null;
    }

    private IEnumerable<string> Candidates() =>
        (map?.Silos ?? []).Concat(options.SeedSilos.Select(s => s.ToString())).Distinct(StringComparer.Ordinal);

    /// <summary>A read answered by the first reachable silo; Postgres behind every silo holds every partition.</summary>
    private async Task<HttpResponseMessage> ReadFromAnySiloAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        HttpRequestException? last = null;
        foreach (var silo in Candidates())
        {
            try
            {
                using var request = SiloProtocol.Request(HttpMethod.Get, silo, pathAndQuery);
                var response = await http.SendAsync(request, cancellationToken);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return response;
                }

                response.Dispose();
            }
            catch (HttpRequestException e)
            {
                last = e;
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                last = new HttpRequestException($"silo {silo} did not answer in time", e); // try the next one
            }
        }

        throw new ArgusUnavailableException("no silo could answer the read; retry later", last);
    }

    /// <summary>The body of a successful answer; any other status throws <see cref="HttpRequestException"/>.</summary>
    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(type, cancellationToken))!;
    }
}
