using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// An API key as stored: never the key itself, only its SHA-256. <see cref="CreatedBy"/> and
/// <see cref="RevokedBy"/> name who did it (<c>key:NAME</c>, a token's subject, <c>cli</c>), null when not said.
/// </summary>
public sealed record ApiKeyRecord(
    string Name, byte[] KeyHash, string KeyPrefix, string[] Scopes, string? TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    string? CreatedBy = null, string? RevokedBy = null);

/// <summary>A change of a key that an audit entry records.</summary>
public enum ApiKeyChange
{
    Created,
    Revoked,
}

/// <summary>
/// The API keys in Postgres (<c>argus_api_keys</c>, migration 008). A key is <c>argus_</c> and 43
/// characters of base64url (32 random bytes); it is returned once by <see cref="CreateAsync"/>
/// and stored only as its SHA-256, which is how a presented key is looked up.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const string KeyMarker = "argus_";

    private const int PrefixLength = 12;

    private const string Columns = "name, key_hash, key_prefix, scopes, tenant_id, created_at, revoked_at, created_by, revoked_by";

    /// <summary>Whether <paramref name="credential"/> has the form of an Argus API key (not whether it is one).</summary>
    public static bool LooksLikeKey(string credential) => credential.StartsWith(KeyMarker, StringComparison.Ordinal);

    /// <summary>The SHA-256 of a presented key, by which it is looked up.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Makes a key; returns it (the only time it exists outside the caller) with its record. Null when the name is taken.</summary>
    public Task<(string Key, ApiKeyRecord Record)?> CreateAsync(string name, IReadOnlyCollection<string> scopes, string? tenantId, CancellationToken cancellationToken) =>
        CreateAsync(name, scopes, tenantId, createdBy: null, cancellationToken);

    /// <summary>Makes a key on behalf of <paramref name="createdBy"/>; as <see cref="CreateAsync(string, IReadOnlyCollection{string}, string?, CancellationToken)"/>.</summary>
    public async Task<(string Key, ApiKeyRecord Record)?> CreateAsync(
        string name, IReadOnlyCollection<string> scopes, string? tenantId, string? createdBy, CancellationToken cancellationToken)
    {
        var key = KeyMarker + Base64Url(RandomNumberGenerator.GetBytes(32));
        var record = new ApiKeyRecord(name, Hash(key), key[..PrefixLength], scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            tenantId, Microseconds(time.GetUtcNow()), RevokedAt: null, createdBy);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO argus_api_keys (name, key_hash, key_prefix, scopes, tenant_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.Name });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = record.KeyHash });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.KeyPrefix });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = record.Scopes });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = record.CreatedAt.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)createdBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? (key, record) : null;
    }

    /// <summary>Every key, revoked ones too, by name.</summary>
    public Task<List<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {Columns} FROM argus_api_keys ORDER BY name", cancellationToken);

    /// <summary>The keys that work: what every node keeps in memory and checks presented keys against.</summary>
    public Task<List<ApiKeyRecord>> ListActiveAsync(CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {Columns} FROM argus_api_keys WHERE revoked_at IS NULL", cancellationToken);

    /// <summary>Revokes the key named so; its record as revoked, or null when no key has that name. Revoking twice keeps the first time.</summary>
    public Task<ApiKeyRecord?> RevokeAsync(string name, CancellationToken cancellationToken) => RevokeAsync(name, revokedBy: null, cancellationToken);

    /// <summary>Revokes the key on behalf of <paramref name="revokedBy"/>; as <see cref="RevokeAsync(string, CancellationToken)"/> (the first revocation's author stays too).</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string name, string? revokedBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE argus_api_keys SET revoked_by = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoked_by END, revoked_at = coalesce(revoked_at, $2) " +
            $"WHERE name = $1 RETURNING {Columns}");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Microseconds(time.GetUtcNow()).UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)revokedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Keys whose creation or revocation has no audit entry yet (at most <paramref name="limit"/>).</summary>
    public Task<List<ApiKeyRecord>> ListUnrecordedAsync(int limit, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {Columns} FROM argus_api_keys WHERE NOT created_recorded OR (revoked_at IS NOT NULL AND NOT revoked_recorded) " +
            $"ORDER BY name LIMIT {limit}", cancellationToken);

    /// <summary>Notes that the audit entry for <paramref name="change"/> of the key is stored.</summary>
    public async Task MarkRecordedAsync(string name, ApiKeyChange change, CancellationToken cancellationToken)
    {
        var column = change == ApiKeyChange.Created ? "created_recorded" : "revoked_recorded";
        await using var command = dataSource.CreateCommand($"UPDATE argus_api_keys SET {column} = true WHERE name = $1 AND NOT {column}");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<ApiKeyRecord>> ReadAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(Read(reader));
        }

        return keys;
    }

    private static ApiKeyRecord Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetFieldValue<byte[]>(1),
        reader.GetString(2),
        reader.GetFieldValue<string[]>(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        new DateTimeOffset(reader.GetFieldValue<DateTime>(5), TimeSpan.Zero),
        reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(6), TimeSpan.Zero),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8));

    /// <summary>Postgres keeps microseconds: a record made here says what a record read back will.</summary>
    private static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
