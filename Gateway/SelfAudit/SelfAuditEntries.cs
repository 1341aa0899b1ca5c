using System.Text;
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Storage;

namespace Argus.Gateway.SelfAudit;

/// <summary>The audit entries Argus writes about itself: source <c>argus</c>, event types <c>argus.*</c>.</summary>
public static class SelfAuditEntries
{
    public const string Source = "argus";

    public const string KeyCreated = "argus.key.created";

    public const string KeyRevoked = "argus.key.revoked";

    public const string CredentialRefused = "argus.credential.refused";

    public const string ConfigChanged = "argus.config.changed";

    /// <summary>The actor of a change made without a credential naming anyone.</summary>
    public const string UnknownActor = "unknown";

    /// <summary>
    /// The entry for a key's creation or revocation. Everything in it follows from the key's row,
    /// its id too, so every node that records the same change appends the same entry (stored once).
    /// </summary>
    public static AuditEntry KeyChange(ApiKeyRecord key, ApiKeyChange change)
    {
        var created = change == ApiKeyChange.Created;
        var actor = (created ? key.CreatedBy : key.RevokedBy) ?? UnknownActor;
        var at = created ? key.CreatedAt : key.RevokedAt ?? key.CreatedAt;
        return new AuditEntry
        {
            Id = EntryIds.FromIdempotencyKey("argus-self-audit", $"{(created ? KeyCreated : KeyRevoked)}\n{key.Name}\n{key.CreatedAt.UtcTicks}"),
            Timestamp = at,
            EventType = created ? KeyCreated : KeyRevoked,
            EventAction = created ? EventAction.Create : EventAction.Delete,
            Status = AuditStatus.Success,
            ActorType = actor == UnknownActor ? ActorType.System : ActorType.Admin,
            ActorId = actor,
            TargetType = TargetType.Resource,
            TargetId = key.Name,
            Source = Source,
            TenantId = key.TenantId,
            AdditionalMetadata = Json(w =>
            {
                w.WriteString("keyPrefix", key.KeyPrefix);
                w.WriteStartArray("scopes");
                foreach (var scope in key.Scopes)
                {
                    w.WriteStringValue(scope);
                }

                w.WriteEndArray();
                if (key.TenantId is not null)
                {
                    w.WriteString("tenantId", key.TenantId);
                }
            }),
        };
    }

    /// <summary>One entry for every credential refused from one address in one window.</summary>
    public static AuditEntry Refused(string address, long count, DateTimeOffset from, DateTimeOffset until, TimeProvider time) => new()
    {
        Id = EntryIds.NewId(time),
        Timestamp = Truncate(until),
        EventType = CredentialRefused,
        Status = AuditStatus.Failure,
        ActorType = ActorType.Service,
        ActorId = "anonymous",
        TargetType = TargetType.Service,
        TargetId = Source,
        Source = Source,
        IpAddress = System.Net.IPAddress.TryParse(address, out _) ? address : null,
        AdditionalMetadata = Json(w =>
        {
            w.WriteNumber("count", count);
            w.WriteString("address", address);
            w.WriteString("from", Rfc3339Text(from));
            w.WriteString("until", Rfc3339Text(until));
        }),
    };

    /// <summary>A node started with non-sensitive settings other than those recorded last.</summary>
    public static AuditEntry Configuration(string node, string role, IReadOnlyList<string> changed, IReadOnlyDictionary<string, string> settings, TimeProvider time) => new()
    {
        Id = EntryIds.NewId(time),
        Timestamp = Truncate(time.GetUtcNow()),
        EventType = ConfigChanged,
        EventAction = EventAction.Update,
        Status = AuditStatus.Success,
        ActorType = ActorType.System,
        ActorId = "local",
        TargetType = TargetType.Service,
        TargetId = Source,
        Source = Source,
        AdditionalMetadata = Json(w =>
        {
            w.WriteString("node", node);
            w.WriteString("role", role);
            w.WriteStartArray("changedKeys");
            foreach (var key in changed)
            {
                w.WriteStringValue(key);
            }

            w.WriteEndArray();
            w.WriteStartObject("settings");
            foreach (var key in changed.Where(settings.ContainsKey))
            {
                w.WriteString(key, settings[key]);
            }

            w.WriteEndObject();
        }),
    };

    private static DateTimeOffset Truncate(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    private static string Rfc3339Text(DateTimeOffset value) => Truncate(value).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
