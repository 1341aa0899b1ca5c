using System.Buffers;
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Gateway.CloudEvents;

/// <summary>
/// Turns one CloudEvent 1.0 into an audit entry. The event is rewritten as an Argus API request
/// and read by <see cref="AuditEntryJson.ReadRequest"/>, so both APIs share one set of rules;
/// refusals are reported under the CloudEvent's own attribute names.
/// </summary>
/// <remarks>
/// Mapping (see README): <c>type</c> -> eventType, <c>source</c> -> source and actorId (actorType SERVICE),
/// <c>subject</c> -> targetId (targetType RESOURCE), <c>time</c> -> timestamp (receipt time when
/// absent), <c>data</c> -> additionalMetadata (wrapped as <c>{"data": ...}</c> when not an object),
/// the other context attributes -> requestMetadata.cloudevent, the <c>traceparent</c> extension
/// -> traceId. Extensions <c>status</c>, <c>actortype</c>, <c>actorid</c>, <c>targettype</c>,
/// <c>eventaction</c> override the defaults; <c>resourcetype</c>, <c>partnerid</c>, <c>actoremail</c>,
/// <c>role</c>, <c>namespace</c>, <c>eventgroup</c>, <c>sessionid</c>, <c>correlationid</c>,
/// <c>userid</c>, <c>vmid</c>, <c>taskid</c>, <c>nodeip</c>, <c>workerid</c>, <c>errormessage</c>
/// set the entry field of the same name. The entry id derives from <c>(id, time)</c>.
/// </remarks>
public static class CloudEventMapper
{
    public const string IdempotencyScope = "cloudevents";

    /// <summary>Argus field -> CloudEvent attribute, for error messages.</summary>
    private static readonly Dictionary<string, string> AttributeOf = new()
    {
        ["eventType"] = "type",
        ["actorId"] = "source",
        ["targetId"] = "subject",
        ["timestamp"] = "time",
        ["additionalMetadata"] = "data",
        ["status"] = "status",
        ["actorType"] = "actortype",
        ["targetType"] = "targettype",
        ["eventAction"] = "eventaction",
        ["requestMetadata"] = "attributes",
    };

    /// <summary>
    /// Extensions that carry an entry field of the same name in lower case. Integers may come as
    /// JSON numbers or, as binary mode and the CloudEvents string encoding write them, as strings.
    /// </summary>
    private static readonly (string Field, bool Integer)[] FieldExtensions =
    [
        ("resourceType", false), ("partnerId", false), ("actorEmail", false), ("role", false), ("namespace", false),
        ("eventGroup", false), ("sessionId", false), ("correlationId", false), ("userId", true), ("vmId", false),
        ("taskId", true), ("nodeIp", false), ("workerId", false), ("errorMessage", false),
    ];

    /// <summary>Context attributes a CloudEvent may carry besides extensions.</summary>
    private static readonly HashSet<string> Reserved = ["data", "data_base64"];

    /// <summary>Maps a structured-mode event (a JSON object); <paramref name="field"/> names it in a refusal (the body, or a batch's event).</summary>
    /// <exception cref="AuditValidationException">The event is invalid; <c>Field</c> names the attribute.</exception>
    public static MappedEvent Map(JsonElement cloudEvent, DateTimeOffset receivedAt, string? traceparentHeader, string field = "body")
    {
        if (cloudEvent.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(field, $"{field}: a CloudEvent must be a JSON object");
        }

        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in cloudEvent.EnumerateObject())
        {
            if (!attributes.TryAdd(property.Name, property.Value))
            {
                throw Invalid(property.Name, $"attribute '{property.Name}' appears more than once");
            }
        }

        return MapAttributes(attributes, receivedAt, traceparentHeader);
    }

    /// <summary>Maps a binary-mode event: attributes from <c>ce-*</c> headers, data from the body.</summary>
    public static MappedEvent MapBinary(IDictionary<string, string> headerAttributes, ReadOnlyMemory<byte> body, string? contentType,
        DateTimeOffset receivedAt, string? traceparentHeader)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in headerAttributes)
            {
                writer.WriteString(name, value);
            }

            if (contentType is not null)
            {
                writer.WriteString("datacontenttype", contentType);
            }

            if (!body.IsEmpty)
            {
                if (IsJson(contentType))
                {
                    try
                    {
                        using var data = JsonDocument.Parse(body);
                        writer.WritePropertyName("data");
                        data.RootElement.WriteTo(writer);
                    }
                    catch (JsonException)
                    {
                        throw Invalid("data", "'data' (the body) is declared JSON but is not valid JSON");
                    }
                }
                else
                {
                    writer.WriteBase64String("data_base64", body.Span);
                }
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return Map(document.RootElement, receivedAt, traceparentHeader);
    }

    public static bool IsJson(string? contentType) =>
        contentType is null
        || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static MappedEvent MapAttributes(Dictionary<string, JsonElement> attributes, DateTimeOffset receivedAt, string? traceparentHeader)
    {
        // Both are required by CloudEvents 1.0: an event without them is not a CloudEvent, and
        // without an id a retry could not be told from a new event.
        var specVersion = RequiredString(attributes, "specversion");
        if (specVersion != "1.0")
        {
            throw Invalid("specversion", $"specversion must be 1.0, got '{specVersion}'");
        }

        var id = RequiredString(attributes, "id");

        var source = RequiredString(attributes, "source");
        var type = RequiredString(attributes, "type");
        var time = OptionalString(attributes, "time");
        DateTimeOffset occurredAt = default;
        if (time is not null && !Rfc3339.TryParse(time, out occurredAt))
        {
            throw Invalid("time", $"attribute 'time' has an invalid format, {Rfc3339.Expected}");
        }

        var traceparent = OptionalString(attributes, "traceparent") ?? traceparentHeader;
        Guid? traceId = traceparent is not null && TraceParent.TryGetTraceId(traceparent, out var fromHeader) ? fromHeader : null;

        var request = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(request))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", time ?? Rfc3339.Format(receivedAt));
            writer.WriteString("eventType", type);
            writer.WriteString("source", source);
            writer.WriteString("actorId", OptionalString(attributes, "actorid") ?? source);
            writer.WriteString("actorType", OptionalString(attributes, "actortype") ?? "SERVICE");
            writer.WriteString("status", OptionalString(attributes, "status") ?? "SUCCESS");
            writer.WriteString("targetType", OptionalString(attributes, "targettype") ?? "RESOURCE");
            WriteIfPresent(writer, "targetId", OptionalString(attributes, "subject"));
            WriteIfPresent(writer, "eventAction", OptionalString(attributes, "eventaction"));
            if (traceId is { } trace)
            {
                writer.WriteString("traceId", trace);
            }

            foreach (var (field, integer) in FieldExtensions)
            {
                WriteExtension(writer, attributes, field, integer);
            }

            writer.WritePropertyName("requestMetadata");
            writer.WriteStartObject();
            writer.WritePropertyName("cloudevent");
            writer.WriteStartObject();
            foreach (var (name, value) in attributes.Where(a => !Reserved.Contains(a.Key)).OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();

            if (attributes.TryGetValue("data", out var data) && data.ValueKind != JsonValueKind.Null)
            {
                writer.WritePropertyName("additionalMetadata");
                if (data.ValueKind == JsonValueKind.Object)
                {
                    data.WriteTo(writer);
                }
                else
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("data");
                    data.WriteTo(writer);
                    writer.WriteEndObject();
                }
            }
            else if (attributes.TryGetValue("data_base64", out var base64) && base64.ValueKind != JsonValueKind.Null)
            {
                if (base64.ValueKind != JsonValueKind.String || !IsBase64(base64.GetString()!))
                {
                    throw Invalid("data_base64", "attribute 'data_base64' must be a base64 string");
                }

                writer.WritePropertyName("additionalMetadata");
                writer.WriteStartObject();
                writer.WriteString("data_base64", base64.GetString());
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        AuditEntry entry;
        try
        {
            entry = AuditEntryJson.ReadRequest(request.WrittenSpan);
        }
        catch (AuditValidationException e)
        {
            var attribute = e.Field == "actorId" && attributes.ContainsKey("actorid") ? "actorid"
                : Array.Exists(FieldExtensions, f => f.Field == e.Field) ? e.Field.ToLowerInvariant()
                : AttributeOf.GetValueOrDefault(e.Field, e.Field);
            throw new AuditValidationException(attribute, e.Message.Replace($"'{e.Field}'", $"'{attribute}'", StringComparison.Ordinal));
        }

        // Idempotent on (id, time): a replay maps to the same entry id and is never stored twice.
        // The key holds the instant, not its spelling: 10:00:00Z and 12:00:00+02:00 are one time.
        var instant = time is null ? "" : Rfc3339.Format(occurredAt);
        var entryId = id is null ? (Guid?)null : EntryIds.FromIdempotencyKey(IdempotencyScope, id + "\n" + instant);
        return new MappedEvent(id, entryId, entry);
    }

    private static string RequiredString(Dictionary<string, JsonElement> attributes, string name) =>
        OptionalString(attributes, name) is { Length: > 0 } value
            ? value
            : throw Invalid(name, $"attribute '{name}' is required");

    private static string? OptionalString(Dictionary<string, JsonElement> attributes, string name)
    {
        if (!attributes.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Invalid(name, $"attribute '{name}' must be a string");
    }

    /// <summary>
    /// The extension named <paramref name="field"/> in lower case, as the entry field: strings as
    /// they are, integers as numbers. Other kinds are passed on for the entry reader to refuse.
    /// </summary>
    private static void WriteExtension(Utf8JsonWriter writer, Dictionary<string, JsonElement> attributes, string field, bool integer)
    {
        var name = field.ToLowerInvariant();
        if (!attributes.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        writer.WritePropertyName(field);
        if (integer && value.ValueKind == JsonValueKind.String)
        {
            if (!long.TryParse(value.GetString(), System.Globalization.NumberStyles.AllowLeadingSign,
                    System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                throw Invalid(name, $"attribute '{name}' must be an integer between {long.MinValue} and {long.MaxValue}");
            }

            writer.WriteNumberValue(number);
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out _);
    }

    private static AuditValidationException Invalid(string field, string message) => new(field, "Validation error: " + message);
}

/// <summary>A mapped event: its CloudEvent id, the entry id derived from (id, time) if it has an id, and the entry.</summary>
public sealed record MappedEvent(string? CloudEventId, Guid? EntryId, AuditEntry Entry);
