using Argus.Grains.Streams;
using Argus.Silo.Hosting;
using Argus.Silo.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Argus.Silo.Membership;

/// <summary>
/// This silo's row in <c>argus_silos</c>: registered at start-up (joining), active once it has
/// taken its first partitions, shutting down when the host stops, dead at the end. Heartbeats run
/// on their own timer. Each heartbeat also declares dead every silo whose heartbeat has gone
/// stale; a silo that finds itself declared dead stops serving (its partitions are revoked and
/// the host is stopped), since the others may already have taken its partitions.
/// </summary>
internal sealed partial class SiloMembership(
    NpgsqlDataSource dataSource,
    PartitionStreams streams,
    IServer server,
    IHostApplicationLifetime lifetime,
    IOptions<SiloOptions> options,
    TimeProvider time,
    ILogger<SiloMembership> logger,
    InternalEndpoint? internalEndpoint = null) : BackgroundService
{
    private readonly SiloOptions options = options.Value;
    private readonly long generation = time.GetUtcNow().ToUnixTimeMilliseconds();
    private volatile bool declaredDead;

    public string SiloId => options.SiloId;

    /// <summary>What this silo published as its address in the membership table (null before start-up completes).</summary>
    public string? PublishedAddress { get; private set; }

    /// <summary>True once another silo declared this one dead; it must not write again.</summary>
    public bool IsDeclaredDead => declaredDead;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync("""
            INSERT INTO argus_silos (silo_id, address, generation, status) VALUES ($1, $2, $3, 'joining')
            ON CONFLICT (silo_id) DO UPDATE SET address = $2, generation = $3, status = 'joining', started_at = now(), heartbeat_at = now()
            """, cancellationToken, options.SiloId, options.Address, generation);
        lifetime.ApplicationStopping.Register(() => _ = SetStatusAsync(SiloStatus.ShuttingDown, CancellationToken.None));
        PublishedAddress = options.Address.Length > 0 ? options.Address : null;
        if (options.Address.Length == 0)
        {
            // Not configured: publish the address the server actually bound (known once it has started).
            lifetime.ApplicationStarted.Register(() => _ = PublishBoundAddressAsync());
        }

        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!declaredDead)
        {
            await SetStatusAsync(SiloStatus.Dead, cancellationToken);
        }
    }

    /// <summary>
    /// Silos counted for balancing (never fewer than one): joining or active, with a fresh
    /// heartbeat, and holding their lock session right now. The last condition notices a crashed
    /// silo at once (Postgres ends its sessions when its sockets close), long before its heartbeat
    /// goes stale, so the survivors' targets grow and they take its partitions within a tick.
    /// </summary>
    public async Task<int> CountLiveAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM argus_silos s WHERE s.status IN ('joining', 'active') AND s.heartbeat_at > now() - $1 " +
            "AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = left('argus-locks:' || s.silo_id, 63))");
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options.DeathTimeout });
        return Math.Max(1, (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    public Task MarkActiveAsync(CancellationToken cancellationToken) => SetStatusAsync(SiloStatus.Active, cancellationToken, onlyFrom: "joining");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await HeartbeatAsync(stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
                {
                    LogHeartbeatFailed(e.Message); // Postgres unreachable: ownership notices on its own connection
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        await using (var beat = dataSource.CreateCommand(
            "UPDATE argus_silos SET heartbeat_at = now() WHERE silo_id = $1 AND generation = $2 AND status <> 'dead'"))
        {
            beat.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.SiloId });
            beat.Parameters.Add(new NpgsqlParameter<long> { TypedValue = generation });
            if (await beat.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                StopServing();
                return;
            }
        }

        await using var reap = dataSource.CreateCommand(
            "UPDATE argus_silos SET status = 'dead' WHERE status <> 'dead' AND silo_id <> $1 AND heartbeat_at < now() - $2 RETURNING silo_id");
        reap.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.SiloId });
        reap.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options.DeathTimeout });
        await using var reader = await reap.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            LogDeclaredDead(reader.GetString(0));
        }
    }

    /// <summary>Declared dead (or replaced by a newer generation of this silo id): stop writing and stop the host.</summary>
    private void StopServing()
    {
        declaredDead = true;
        LogFoundDead(options.SiloId);
        foreach (var stream in streams.All)
        {
            stream.Revoke();
        }

        lifetime.StopApplication();
    }

    private async Task PublishBoundAddressAsync()
    {
        var address = internalEndpoint?.Address ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        PublishedAddress = address;
        if (address is null)
        {
            return;
        }

        try
        {
            await ExecuteAsync("UPDATE argus_silos SET address = $3 WHERE silo_id = $1 AND generation = $2", CancellationToken.None,
                options.SiloId, generation, address);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            LogHeartbeatFailed(e.Message);
        }
    }

    private async Task SetStatusAsync(SiloStatus status, CancellationToken cancellationToken, string? onlyFrom = null)
    {
        try
        {
            await ExecuteAsync(
                "UPDATE argus_silos SET status = $3, heartbeat_at = now() WHERE silo_id = $1 AND generation = $2 AND status <> 'dead'"
                    + (onlyFrom is null ? "" : $" AND status = '{onlyFrom}'"),
                cancellationToken, options.SiloId, generation, WireName(status));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            LogHeartbeatFailed(e.Message); // the others will declare this silo dead by its stale heartbeat
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string WireName(SiloStatus status) => status switch
    {
        SiloStatus.Joining => "joining",
        SiloStatus.Active => "active",
        SiloStatus.ShuttingDown => "shutting_down",
        _ => "dead",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed: {Reason}")]
    private partial void LogHeartbeatFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Declared silo {SiloId} dead: its heartbeat is stale")]
    private partial void LogDeclaredDead(string siloId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Silo {SiloId} was declared dead by the cluster; it stops serving")]
    private partial void LogFoundDead(string siloId);
}
