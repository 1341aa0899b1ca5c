using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>
/// The last non-sensitive configuration a node started with (<c>argus_config_snapshots</c>,
/// migration 009), kept as its SHA-256 and its values so that a start with other values can say
/// which settings changed.
/// </summary>
public sealed class ConfigSnapshotStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Records <paramref name="settings"/> as the current configuration of <paramref name="scope"/>
    /// unless it is already. Returns the settings that differ from the ones recorded before (added,
    /// changed or gone; every one on the first start), or null when nothing changed. Nodes
    /// starting together take turns (the row is locked), so one change is reported once.
    /// </summary>
    public async Task<IReadOnlyList<string>?> RecordAsync(string scope, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var json = Canonical(settings);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(json));

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var ensure = new NpgsqlCommand(
            "INSERT INTO argus_config_snapshots (scope, hash, settings) VALUES ($1, $2, $3::jsonb) ON CONFLICT (scope) DO NOTHING", connection, transaction))
        {
            ensure.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope });
            ensure.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = new byte[32] });
            ensure.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "{}" });
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        byte[] previousHash;
        string previousJson;
        await using (var read = new NpgsqlCommand("SELECT hash, settings::text FROM argus_config_snapshots WHERE scope = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            previousHash = reader.GetFieldValue<byte[]>(0);
            previousJson = reader.GetString(1);
        }

        if (previousHash.AsSpan().SequenceEqual(hash))
        {
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        await using (var update = new NpgsqlCommand(
            "UPDATE argus_config_snapshots SET hash = $2, settings = $3::jsonb, recorded_at = now() WHERE scope = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope });
            update.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        var previous = Parse(previousJson);
        return settings.Keys.Union(previous.Keys, StringComparer.Ordinal)
            .Where(k => !settings.TryGetValue(k, out var now) || !previous.TryGetValue(k, out var before) || now != before)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The settings as one JSON object, keys in ordinal order: equal settings give equal text and hash.</summary>
    public static string Canonical(IReadOnlyDictionary<string, string> settings)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in settings.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Dictionary<string, string> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
    }
}
