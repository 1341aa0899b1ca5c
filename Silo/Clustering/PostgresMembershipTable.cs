using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Argus.Silo.Clustering;

/// <summary>
/// Orleans' membership table in Postgres (<c>argus_membership</c>, <c>argus_membership_versions</c>,
/// migration 007). Every write that Orleans conditions on etags is one statement: the cluster's
/// version moves only if its etag matches, and the silo's row is inserted or replaced only if the
/// version moved, so a write either wins whole or changes nothing. Etags are numbers from one
/// sequence, handed to Orleans as text.
/// </summary>
public sealed partial class PostgresMembershipTable(
    NpgsqlDataSource dataSource,
    IOptions<ClusterOptions> clusterOptions,
    ILogger<PostgresMembershipTable> logger) : IMembershipTable
{
    /// <summary>The version etag reported while a cluster has no version row: it matches no write.</summary>
    public const string NoVersionEtag = "";

    private const string UniqueViolation = "23505";

    // The columns of a silo's row, in the order ReadEntry reads them (after the version and its etag).
    private const string EntryColumns =
        "m.address, m.port, m.generation, m.silo_name, m.host_name, m.status, m.proxy_port, m.role_name, " +
        "m.update_zone, m.fault_zone, m.suspecters, m.suspected_at, m.started_at, m.i_am_alive_at, m.etag";

    private readonly string clusterId = clusterOptions.Value.ClusterId;

    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken = default)
    {
        if (!tryInitTableVersion)
        {
            return;
        }

        // Silos starting together all try: the first creates the row, the others find it there.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO argus_membership_versions (cluster_id, version) VALUES ($1, 0)
            ON CONFLICT (cluster_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            LogVersionCreated(clusterId);
        }
    }

    public async Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken = default)
    {
        // The silos' rows go with the version row (ON DELETE CASCADE).
        await using var command = dataSource.CreateCommand("DELETE FROM argus_membership_versions WHERE cluster_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            LogClusterDeleted(clusterId);
        }
    }

    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken = default)
    {
        // A row's age is that of its latest sign of life: started, alive, or a vote against it
        // (declaring a silo dead records a vote), as Orleans' cleanup agent reckons it when it
        // picks the date to keep its newest dead entries.
        await using var command = dataSource.CreateCommand("""
            DELETE FROM argus_membership m
             WHERE m.cluster_id = $1 AND m.status = $2
               AND greatest(m.started_at, m.i_am_alive_at, (SELECT max(v) FROM unnest(m.suspected_at) AS v)) < $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)SiloStatus.Dead });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = beforeDate.UtcDateTime });
        var removed = await command.ExecuteNonQueryAsync(cancellationToken);
        if (removed > 0)
        {
            LogDefunctRemoved(removed, clusterId, beforeDate);
        }
    }

    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken = default)
    {
        // One statement, so the row and the version come from the same snapshot.
        await using var command = dataSource.CreateCommand($"""
            SELECT v.version, v.etag, {EntryColumns}
              FROM argus_membership_versions v
              LEFT JOIN argus_membership m
                ON m.cluster_id = v.cluster_id AND m.address = $2 AND m.port = $3 AND m.generation = $4
             WHERE v.cluster_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        AddKey(command.Parameters, key);
        return await ReadTableAsync(command, cancellationToken);
    }

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT v.version, v.etag, {EntryColumns}
              FROM argus_membership_versions v
              LEFT JOIN argus_membership m ON m.cluster_id = v.cluster_id
             WHERE v.cluster_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        return await ReadTableAsync(command, cancellationToken);
    }

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        if (!TryParseEtag(tableVersion.VersionEtag, out var versionEtag))
        {
            return false;
        }

        // The version moves only while no row of this silo exists, and the row is inserted only
        // from the moved version: both or neither.
        await using var command = dataSource.CreateCommand("""
            WITH moved AS (
                UPDATE argus_membership_versions
                   SET version = $2, etag = nextval('argus_membership_etags')
                 WHERE cluster_id = $1 AND etag = $3
                   AND NOT EXISTS (SELECT FROM argus_membership WHERE cluster_id = $1 AND address = $4 AND port = $5 AND generation = $6)
                RETURNING cluster_id)
            INSERT INTO argus_membership (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port,
                                          role_name, update_zone, fault_zone, suspecters, suspected_at, started_at, i_am_alive_at)
            SELECT cluster_id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 FROM moved
            """);
        AddVersion(command.Parameters, tableVersion, versionEtag);
        AddEntry(command.Parameters, entry);
        try
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return true;
            }
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            // The same silo inserted by a writer that committed after this statement's snapshot
            // was taken: the statement failed whole, so nothing moved.
        }

        LogInsertLost(entry.SiloAddress, tableVersion);
        return false;
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        if (!TryParseEtag(tableVersion.VersionEtag, out var versionEtag) || !TryParseEtag(etag, out var rowEtag))
        {
            return false;
        }

        // The row is locked first, at the expected etag: a concurrent write or cleanup of it then
        // either came before (and the etag no longer matches, so nothing moves) or waits for this
        // one. Only then does the version move, and the row is replaced only from the moved version.
        // The alive time keeps the later of the two, since the silo's heartbeat writes it without
        // an etag and an entry read before that heartbeat must not take it back.
        await using var command = dataSource.CreateCommand("""
            WITH target AS MATERIALIZED (
                SELECT FROM argus_membership
                 WHERE cluster_id = $1 AND address = $4 AND port = $5 AND generation = $6 AND etag = $18
                   FOR UPDATE),
            moved AS (
                UPDATE argus_membership_versions
                   SET version = $2, etag = nextval('argus_membership_etags')
                 WHERE cluster_id = $1 AND etag = $3 AND EXISTS (SELECT FROM target)
                RETURNING cluster_id)
            UPDATE argus_membership m
               SET silo_name = $7, host_name = $8, status = $9, proxy_port = $10, role_name = $11, update_zone = $12,
                   fault_zone = $13, suspecters = $14, suspected_at = $15, started_at = $16,
                   i_am_alive_at = greatest(m.i_am_alive_at, $17), etag = nextval('argus_membership_etags')
              FROM moved
             WHERE m.cluster_id = moved.cluster_id AND m.address = $4 AND m.port = $5 AND m.generation = $6 AND m.etag = $18
            """);
        AddVersion(command.Parameters, tableVersion, versionEtag);
        AddEntry(command.Parameters, entry);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rowEtag });
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return true;
        }

        LogUpdateLost(entry.SiloAddress, etag, tableVersion);
        return false;
    }

    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE argus_membership SET i_am_alive_at = $5 WHERE cluster_id = $1 AND address = $2 AND port = $3 AND generation = $4");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        AddKey(command.Parameters, entry.SiloAddress);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Utc(entry.IAmAliveTime) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Orleans calls the cancellable methods above; these are the interface's older forms.
    Task IMembershipTable.InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    Task IMembershipTable.DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    Task IMembershipTable.CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    Task<MembershipTableData> IMembershipTable.ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    Task<MembershipTableData> IMembershipTable.ReadAll() => ReadAllAsync(CancellationToken.None);

    Task<bool> IMembershipTable.InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, CancellationToken.None);

    Task<bool> IMembershipTable.UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    Task IMembershipTable.UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    private static async Task<MembershipTableData> ReadTableAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        TableVersion? version = null;
        var entries = new List<Tuple<MembershipEntry, string>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            version ??= new TableVersion(reader.GetInt32(0), FormatEtag(reader.GetInt64(1)));
            if (!await reader.IsDBNullAsync(2, cancellationToken))
            {
                entries.Add(ReadEntry(reader));
            }
        }

        return new MembershipTableData(entries, version ?? new TableVersion(0, NoVersionEtag));
    }

    private static Tuple<MembershipEntry, string> ReadEntry(NpgsqlDataReader reader)
    {
        const int From = 2;
        var suspecters = reader.GetFieldValue<string[]>(From + 10);
        var suspectedAt = reader.GetFieldValue<DateTime[]>(From + 11);
        var votes = new List<Tuple<SiloAddress, DateTime>>(suspecters.Length);
        for (var i = 0; i < suspecters.Length; i++)
        {
            votes.Add(Tuple.Create(SiloAddress.FromParsableString(suspecters[i]), suspectedAt[i]));
        }

        var entry = new MembershipEntry
        {
            SiloAddress = SiloAddress.New(
                new IPEndPoint(reader.GetFieldValue<IPAddress>(From), reader.GetInt32(From + 1)), reader.GetInt32(From + 2)),
            SiloName = reader.GetString(From + 3),
            HostName = reader.GetString(From + 4),
            Status = (SiloStatus)reader.GetInt32(From + 5),
            ProxyPort = reader.GetInt32(From + 6),
            RoleName = reader.IsDBNull(From + 7) ? null : reader.GetString(From + 7),
            UpdateZone = reader.GetInt32(From + 8),
            FaultZone = reader.GetInt32(From + 9),
            SuspectTimes = votes,
            StartTime = reader.GetDateTime(From + 12),
            IAmAliveTime = reader.GetDateTime(From + 13),
        };
        return Tuple.Create(entry, FormatEtag(reader.GetInt64(From + 14)));
    }

    // $1 cluster id, $2 the new version, $3 the version etag the writer read; AddEntry follows with $4..$17.
    private void AddVersion(NpgsqlParameterCollection parameters, TableVersion tableVersion, long versionEtag)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = tableVersion.Version });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = versionEtag });
    }

    private static void AddKey(NpgsqlParameterCollection parameters, SiloAddress silo)
    {
        parameters.Add(new NpgsqlParameter<IPAddress> { TypedValue = silo.Endpoint.Address });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = silo.Endpoint.Port });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = silo.Generation });
    }

    private static void AddEntry(NpgsqlParameterCollection parameters, MembershipEntry entry)
    {
        var votes = entry.SuspectTimes ?? [];
        AddKey(parameters, entry.SiloAddress);
        parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.SiloName ?? "" });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.HostName ?? "" });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)entry.Status });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = entry.ProxyPort });
        parameters.Add(new NpgsqlParameter { Value = (object?)entry.RoleName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = entry.UpdateZone });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = entry.FaultZone });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = votes.Select(v => v.Item1.ToParsableString()).ToArray() });
        parameters.Add(new NpgsqlParameter<DateTime[]>
        {
            TypedValue = votes.Select(v => Utc(v.Item2)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Utc(entry.StartTime) });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Utc(entry.IAmAliveTime) });
    }

    // Orleans' times are UTC (DateTime.UtcNow), but a time that lost its kind (a default, one
    // built by hand) is UTC as well, as Orleans itself reads them.
    private static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };

    private static string FormatEtag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    // An etag this table never handed out cannot match any row: such a write loses without asking.
    private static bool TryParseEtag(string? etag, out long value) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the membership version of cluster {ClusterId}")]
    private partial void LogVersionCreated(string clusterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the membership of cluster {ClusterId}")]
    private partial void LogClusterDeleted(string clusterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} dead silo entries of cluster {ClusterId} last heard of before {BeforeDate}")]
    private partial void LogDefunctRemoved(int count, string clusterId, DateTimeOffset beforeDate);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Insert of silo {Silo} lost: the table moved past version {TableVersion} or the silo is already there")]
    private partial void LogInsertLost(SiloAddress silo, TableVersion tableVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Update of silo {Silo} at etag {Etag} lost: the row or the table moved past version {TableVersion}")]
    private partial void LogUpdateLost(SiloAddress silo, string etag, TableVersion tableVersion);
}
