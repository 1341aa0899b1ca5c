using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Grains.Abstractions.Serialization;

/// <summary>
/// Reads and writes the Argus API's audit entry JSON by hand: one pass over the bytes, every
/// refusal naming its field, metadata objects kept as their text. This is the ingest hot path,
/// so it neither builds a DOM nor goes through reflection.
/// </summary>
public static class AuditEntryJson
{
    /// <summary>Bounds on the decimal exponent of a metadata number (see <see cref="IsStorableNumber"/>).</summary>
    public const int MaxNumberExponent = 1000;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses a create request. <c>id</c> and <c>createdAt</c> are Argus's to set and are ignored,
    /// as are unknown fields; the returned entry has <see cref="Guid.Empty"/> as its id.
    /// </summary>
    /// <exception cref="AuditValidationException">The input is not a valid entry.</exception>
    public static AuditEntry ReadRequest(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw Invalid("body", "request body is empty: send the entry as a JSON object");
        }

        var reader = new Utf8JsonReader(utf8Json, isFinalBlock: true, new JsonReaderState(ReaderOptions));
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid("body", "request body must be a JSON object");
            }

            var entry = ReadObject(ref reader, utf8Json, stored: false);
            if (reader.Read())
            {
                throw Invalid("body", "unexpected content after the JSON object");
            }

            // JSON text is UTF-8 (RFC 8259), the values Argus ignores included. Fields it reads
            // were checked one by one, so that their refusals name them.
            return Utf8.IsValid(utf8Json) ? entry : throw Invalid("body", "request body is not valid UTF-8");
        }
        catch (JsonException e)
        {
            throw Invalid("body", $"request body is malformed JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}");
        }
    }

    /// <summary>
    /// Reads an entry as Argus returns it (with <c>id</c> and <c>createdAt</c>); the reader is on
    /// its StartObject. Used by clients, which trust the server's metadata text as it is.
    /// </summary>
    public static AuditEntry ReadStored(ref Utf8JsonReader reader) =>
        ReadObject(ref reader, ReadOnlySpan<byte>.Empty, stored: true);

    /// <summary>
    /// Checks an entry built in code (an in-cluster caller's, not an HTTP body) by exactly the rules
    /// of <see cref="ReadRequest"/>, and returns it as the API would have read it: timestamps at
    /// microsecond precision, the address and method in canonical form. Its id is kept.
    /// </summary>
    /// <exception cref="AuditValidationException">The entry is not valid; the field is named.</exception>
    public static AuditEntry Normalize(AuditEntry entry)
    {
        CheckDefined(entry.Status, WireNames.Statuses, "status");
        CheckDefined(entry.ActorType, WireNames.ActorTypes, "actorType");
        CheckDefined(entry.TargetType, WireNames.TargetTypes, "targetType");
        if (entry.EventAction is { } action)
        {
            CheckDefined(action, WireNames.EventActions, "eventAction");
        }

        if (entry.ActorId is null)
        {
            throw Invalid("actorId", "Validation error: 'actorId' is required");
        }

        var body = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(body))
        {
            Write(writer, entry, validateMetadata: true);
        }

        return ReadRequest(body.WrittenSpan) with { Id = entry.Id };
    }

    /// <summary>
    /// Writes <paramref name="entry"/> as the API returns it. Names and closed values are encoded
    /// once (<see cref="Encoded"/>) and instants formatted straight to UTF-8: a page writes this
    /// for every entry, so nothing here escapes, transcodes or formats a string it need not.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, AuditEntry entry) => Write(writer, entry, validateMetadata: false);

    /// <param name="validateMetadata">Check that the metadata texts are JSON (they are, once read by Argus).</param>
    private static void Write(Utf8JsonWriter writer, AuditEntry entry, bool validateMetadata)
    {
        writer.WriteStartObject();
        writer.WriteString(Encoded.Id, entry.Id);
        if (entry.TraceId is { } traceId)
        {
            writer.WriteString(Encoded.TraceId, traceId);
        }

        WriteInstant(writer, Encoded.Timestamp, entry.Timestamp);
        WriteIfPresent(writer, Encoded.EventType, entry.EventType);
        if (entry.EventAction is { } action)
        {
            writer.WriteString(Encoded.EventAction, Encoded.EventActions[(int)action - 1]);
        }

        writer.WriteString(Encoded.Status, Encoded.Statuses[(int)entry.Status - 1]);
        writer.WriteString(Encoded.ActorType, Encoded.ActorTypes[(int)entry.ActorType - 1]);
        writer.WriteString(Encoded.ActorId, entry.ActorId);
        writer.WriteString(Encoded.TargetType, Encoded.TargetTypes[(int)entry.TargetType - 1]);
        WriteIfPresent(writer, Encoded.TargetId, entry.TargetId);
        WriteIfPresent(writer, Encoded.Source, entry.Source);
        WriteIfPresent(writer, Encoded.TenantId, entry.TenantId);
        WriteIfPresent(writer, Encoded.RequestId, entry.RequestId);
        WriteIfPresent(writer, Encoded.IpAddress, entry.IpAddress);
        WriteIfPresent(writer, Encoded.UserAgent, entry.UserAgent);
        WriteIfPresent(writer, Encoded.HttpMethod, entry.HttpMethod);
        WriteIfPresent(writer, Encoded.HttpPath, entry.HttpPath);
        if (entry.HttpStatus is { } httpStatus)
        {
            writer.WriteNumber(Encoded.HttpStatus, httpStatus);
        }

        if (entry.LatencyMs is { } latencyMs)
        {
            writer.WriteNumber(Encoded.LatencyMs, latencyMs);
        }

        WriteIfPresent(writer, Encoded.ResourceType, entry.ResourceType);
        WriteIfPresent(writer, Encoded.PartnerId, entry.PartnerId);
        WriteIfPresent(writer, Encoded.ActorEmail, entry.ActorEmail);
        WriteIfPresent(writer, Encoded.Role, entry.Role);
        WriteIfPresent(writer, Encoded.Namespace, entry.Namespace);
        WriteIfPresent(writer, Encoded.EventGroup, entry.EventGroup);
        WriteIfPresent(writer, Encoded.SessionId, entry.SessionId);
        WriteIfPresent(writer, Encoded.CorrelationId, entry.CorrelationId);
        if (entry.UserId is { } userId)
        {
            writer.WriteNumber(Encoded.UserId, userId);
        }

        WriteIfPresent(writer, Encoded.VmId, entry.VmId);
        if (entry.TaskId is { } taskId)
        {
            writer.WriteNumber(Encoded.TaskId, taskId);
        }

        WriteIfPresent(writer, Encoded.NodeIp, entry.NodeIp);
        WriteIfPresent(writer, Encoded.WorkerId, entry.WorkerId);
        WriteIfPresent(writer, Encoded.ErrorMessage, entry.ErrorMessage);

        WriteRawIfPresent(writer, Encoded.RequestMetadata, entry.RequestMetadata, validateMetadata);
        WriteRawIfPresent(writer, Encoded.ResponseMetadata, entry.ResponseMetadata, validateMetadata);
        WriteRawIfPresent(writer, Encoded.AdditionalMetadata, entry.AdditionalMetadata, validateMetadata);
        WriteInstant(writer, Encoded.CreatedAt, entry.CreatedAt);
        writer.WriteEndObject();
    }

    private static void WriteInstant(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset value)
    {
        Span<byte> utf8 = stackalloc byte[Rfc3339.MaxFormattedLength];
        writer.WriteString(name, utf8[..Rfc3339.Format(value, utf8)]);
    }

    private static AuditEntry ReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, bool stored)
    {
        Guid id = default;
        Guid? traceId = null;
        DateTimeOffset? timestamp = null, createdAt = null;
        string? eventType = null, actorId = null, targetId = null;
        string? requestMetadata = null, responseMetadata = null, additionalMetadata = null;
        string? source = null, tenantId = null, requestId = null, ipAddress = null, userAgent = null, httpMethod = null, httpPath = null;
        int? httpStatus = null;
        double? latencyMs = null;
        string? resourceType = null, partnerId = null, actorEmail = null, role = null, @namespace = null, eventGroup = null;
        string? sessionId = null, correlationId = null, vmId = null, nodeIp = null, workerId = null, errorMessage = null;
        long? userId = null, taskId = null;
        EventAction? eventAction = null;
        AuditStatus? status = null;
        ActorType? actorType = null;
        TargetType? targetType = null;
        var seen = 0L;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (!reader.Read())
            {
                break;
            }

            if (field == Field.Unknown || (!stored && field is Field.Id or Field.CreatedAt))
            {
                reader.Skip();
                continue;
            }

            var bit = 1L << (int)field;
            if ((seen & bit) != 0)
            {
                throw Invalid(NameOf(field), $"field '{NameOf(field)}' appears more than once");
            }

            seen |= bit;
            switch (field)
            {
                case Field.Id:
                    id = ReadGuid(ref reader, "id") ?? throw Required("id");
                    break;
                case Field.TraceId:
                    traceId = ReadGuid(ref reader, "traceId");
                    break;
                case Field.Timestamp:
                    timestamp = ReadTimestamp(ref reader, "timestamp");
                    break;
                case Field.CreatedAt:
                    createdAt = ReadTimestamp(ref reader, "createdAt");
                    break;
                case Field.EventType:
                    eventType = ReadText(ref reader, "eventType", AuditLimits.MaxEventTypeLength);
                    break;
                case Field.EventAction:
                    eventAction = (EventAction?)ReadEnum(ref reader, "eventAction", WireNames.EventActions);
                    break;
                case Field.Status:
                    status = (AuditStatus?)ReadEnum(ref reader, "status", WireNames.Statuses);
                    break;
                case Field.ActorType:
                    actorType = (ActorType?)ReadEnum(ref reader, "actorType", WireNames.ActorTypes);
                    break;
                case Field.ActorId:
                    actorId = ReadText(ref reader, "actorId", AuditLimits.MaxIdentifierLength);
                    break;
                case Field.TargetType:
                    targetType = (TargetType?)ReadEnum(ref reader, "targetType", WireNames.TargetTypes);
                    break;
                case Field.TargetId:
                    targetId = ReadText(ref reader, "targetId", AuditLimits.MaxIdentifierLength);
                    break;
                case Field.RequestMetadata:
                    requestMetadata = ReadMetadata(ref reader, json, "requestMetadata");
                    break;
                case Field.ResponseMetadata:
                    responseMetadata = ReadMetadata(ref reader, json, "responseMetadata");
                    break;
                case Field.AdditionalMetadata:
                    additionalMetadata = ReadMetadata(ref reader, json, "additionalMetadata");
                    break;
                case Field.Source:
                    source = ReadText(ref reader, "source", AuditLimits.MaxSourceLength);
                    break;
                case Field.TenantId:
                    tenantId = ReadText(ref reader, "tenantId", AuditLimits.MaxTenantIdLength);
                    break;
                case Field.RequestId:
                    requestId = ReadText(ref reader, "requestId", AuditLimits.MaxRequestIdLength);
                    break;
                case Field.IpAddress:
                    ipAddress = ReadCanonical(ref reader, "ipAddress", RequestContextValues.CanonicalIpAddress,
                        "an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1");
                    break;
                case Field.UserAgent:
                    userAgent = ReadText(ref reader, "userAgent", AuditLimits.MaxUserAgentLength);
                    break;
                case Field.HttpMethod:
                    httpMethod = ReadCanonical(ref reader, "httpMethod", RequestContextValues.CanonicalHttpMethod,
                        $"an HTTP method such as GET (a token of 1 to {AuditLimits.MaxHttpMethodLength} characters)");
                    break;
                case Field.HttpPath:
                    httpPath = ReadHttpPath(ref reader, "httpPath");
                    break;
                case Field.HttpStatus:
                    httpStatus = ReadHttpStatus(ref reader, "httpStatus");
                    break;
                case Field.LatencyMs:
                    latencyMs = ReadLatency(ref reader, "latencyMs");
                    break;
                case Field.ResourceType:
                    resourceType = ReadText(ref reader, "resourceType", AuditLimits.MaxResourceTypeLength);
                    break;
                case Field.PartnerId:
                    partnerId = ReadText(ref reader, "partnerId", AuditLimits.MaxPartnerIdLength);
                    break;
                case Field.ActorEmail:
                    actorEmail = ReadText(ref reader, "actorEmail", AuditLimits.MaxActorEmailLength);
                    break;
                case Field.Role:
                    role = ReadText(ref reader, "role", AuditLimits.MaxRoleLength);
                    break;
                case Field.Namespace:
                    @namespace = ReadText(ref reader, "namespace", AuditLimits.MaxNamespaceLength);
                    break;
                case Field.EventGroup:
                    eventGroup = ReadText(ref reader, "eventGroup", AuditLimits.MaxEventGroupLength);
                    break;
                case Field.SessionId:
                    sessionId = ReadText(ref reader, "sessionId", AuditLimits.MaxSessionIdLength);
                    break;
                case Field.CorrelationId:
                    correlationId = ReadText(ref reader, "correlationId", AuditLimits.MaxCorrelationIdLength);
                    break;
                case Field.UserId:
                    userId = ReadInt64(ref reader, "userId");
                    break;
                case Field.VmId:
                    vmId = ReadText(ref reader, "vmId", AuditLimits.MaxVmIdLength);
                    break;
                case Field.TaskId:
                    taskId = ReadInt64(ref reader, "taskId");
                    break;
                case Field.NodeIp:
                    nodeIp = ReadCanonical(ref reader, "nodeIp", RequestContextValues.CanonicalIpAddress,
                        "an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1");
                    break;
                case Field.WorkerId:
                    workerId = ReadText(ref reader, "workerId", AuditLimits.MaxWorkerIdLength);
                    break;
                case Field.ErrorMessage:
                    errorMessage = ReadText(ref reader, "errorMessage", AuditLimits.MaxErrorMessageLength);
                    break;
            }
        }

        // Every required field that is missing is named at once, not only the first.
        string[] missing =
        [
            .. stored && id == Guid.Empty ? ["id"] : Array.Empty<string>(),
            .. timestamp is null ? ["timestamp"] : Array.Empty<string>(),
            .. status is null ? ["status"] : Array.Empty<string>(),
            .. actorType is null ? ["actorType"] : Array.Empty<string>(),
            .. actorId is null ? ["actorId"] : Array.Empty<string>(),
            .. targetType is null ? ["targetType"] : Array.Empty<string>(),
            .. stored && createdAt is null ? ["createdAt"] : Array.Empty<string>(),
        ];
        if (missing.Length > 1)
        {
            throw Invalid(missing[0], $"fields {string.Join(", ", missing.Select(f => $"'{f}'"))} are required");
        }

        return new AuditEntry
        {
            Id = stored && id == Guid.Empty ? throw Required("id") : id,
            TraceId = traceId,
            Timestamp = timestamp ?? throw Required("timestamp"),
            EventType = eventType,
            EventAction = eventAction,
            Status = status ?? throw Required("status"),
            ActorType = actorType ?? throw Required("actorType"),
            ActorId = actorId ?? throw Required("actorId"),
            TargetType = targetType ?? throw Required("targetType"),
            TargetId = targetId,
            RequestMetadata = requestMetadata,
            ResponseMetadata = responseMetadata,
            AdditionalMetadata = additionalMetadata,
            Source = source,
            TenantId = tenantId,
            RequestId = requestId,
            IpAddress = ipAddress,
            UserAgent = userAgent,
            HttpMethod = httpMethod,
            HttpPath = httpPath,
            HttpStatus = httpStatus,
            LatencyMs = latencyMs,
            ResourceType = resourceType,
            PartnerId = partnerId,
            ActorEmail = actorEmail,
            Role = role,
            Namespace = @namespace,
            EventGroup = eventGroup,
            SessionId = sessionId,
            CorrelationId = correlationId,
            UserId = userId,
            VmId = vmId,
            TaskId = taskId,
            NodeIp = nodeIp,
            WorkerId = workerId,
            ErrorMessage = errorMessage,
            CreatedAt = stored ? createdAt ?? throw Required("createdAt") : default,
        };
    }

    private enum Field
    {
        Unknown,
        Id,
        TraceId,
        Timestamp,
        EventType,
        EventAction,
        Status,
        ActorType,
        ActorId,
        TargetType,
        TargetId,
        RequestMetadata,
        ResponseMetadata,
        AdditionalMetadata,
        CreatedAt,
        Source,
        TenantId,
        RequestId,
        IpAddress,
        UserAgent,
        HttpMethod,
        HttpPath,
        HttpStatus,
        LatencyMs,
        ResourceType,
        PartnerId,
        ActorEmail,
        Role,
        Namespace,
        EventGroup,
        SessionId,
        CorrelationId,
        UserId,
        VmId,
        TaskId,
        NodeIp,
        WorkerId,
        ErrorMessage,
    }

    private static Field FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? Field.Id
        : reader.ValueTextEquals("traceId"u8) ? Field.TraceId
        : reader.ValueTextEquals("timestamp"u8) ? Field.Timestamp
        : reader.ValueTextEquals("eventType"u8) ? Field.EventType
        : reader.ValueTextEquals("eventAction"u8) ? Field.EventAction
        : reader.ValueTextEquals("status"u8) ? Field.Status
        : reader.ValueTextEquals("actorType"u8) ? Field.ActorType
        : reader.ValueTextEquals("actorId"u8) ? Field.ActorId
        : reader.ValueTextEquals("targetType"u8) ? Field.TargetType
        : reader.ValueTextEquals("targetId"u8) ? Field.TargetId
        : reader.ValueTextEquals("requestMetadata"u8) ? Field.RequestMetadata
        : reader.ValueTextEquals("responseMetadata"u8) ? Field.ResponseMetadata
        : reader.ValueTextEquals("additionalMetadata"u8) ? Field.AdditionalMetadata
        : reader.ValueTextEquals("createdAt"u8) ? Field.CreatedAt
        : reader.ValueTextEquals("source"u8) ? Field.Source
        : reader.ValueTextEquals("tenantId"u8) ? Field.TenantId
        : reader.ValueTextEquals("requestId"u8) ? Field.RequestId
        : reader.ValueTextEquals("ipAddress"u8) ? Field.IpAddress
        : reader.ValueTextEquals("userAgent"u8) ? Field.UserAgent
        : reader.ValueTextEquals("httpMethod"u8) ? Field.HttpMethod
        : reader.ValueTextEquals("httpPath"u8) ? Field.HttpPath
        : reader.ValueTextEquals("httpStatus"u8) ? Field.HttpStatus
        : reader.ValueTextEquals("latencyMs"u8) ? Field.LatencyMs
        : reader.ValueTextEquals("resourceType"u8) ? Field.ResourceType
        : reader.ValueTextEquals("partnerId"u8) ? Field.PartnerId
        : reader.ValueTextEquals("actorEmail"u8) ? Field.ActorEmail
        : reader.ValueTextEquals("role"u8) ? Field.Role
        : reader.ValueTextEquals("namespace"u8) ? Field.Namespace
        : reader.ValueTextEquals("eventGroup"u8) ? Field.EventGroup
        : reader.ValueTextEquals("sessionId"u8) ? Field.SessionId
        : reader.ValueTextEquals("correlationId"u8) ? Field.CorrelationId
        : reader.ValueTextEquals("userId"u8) ? Field.UserId
        : reader.ValueTextEquals("vmId"u8) ? Field.VmId
        : reader.ValueTextEquals("taskId"u8) ? Field.TaskId
        : reader.ValueTextEquals("nodeIp"u8) ? Field.NodeIp
        : reader.ValueTextEquals("workerId"u8) ? Field.WorkerId
        : reader.ValueTextEquals("errorMessage"u8) ? Field.ErrorMessage
        : Field.Unknown;

    private static string NameOf(Field field) => field switch
    {
        Field.Id => "id",
        Field.TraceId => "traceId",
        Field.Timestamp => "timestamp",
        Field.EventType => "eventType",
        Field.EventAction => "eventAction",
        Field.Status => "status",
        Field.ActorType => "actorType",
        Field.ActorId => "actorId",
        Field.TargetType => "targetType",
        Field.TargetId => "targetId",
        Field.RequestMetadata => "requestMetadata",
        Field.ResponseMetadata => "responseMetadata",
        Field.AdditionalMetadata => "additionalMetadata",
        Field.CreatedAt => "createdAt",
        Field.Source => "source",
        Field.TenantId => "tenantId",
        Field.RequestId => "requestId",
        Field.IpAddress => "ipAddress",
        Field.UserAgent => "userAgent",
        Field.HttpMethod => "httpMethod",
        Field.HttpPath => "httpPath",
        Field.HttpStatus => "httpStatus",
        Field.LatencyMs => "latencyMs",
        Field.ResourceType => "resourceType",
        Field.PartnerId => "partnerId",
        Field.ActorEmail => "actorEmail",
        Field.Role => "role",
        Field.Namespace => "namespace",
        Field.EventGroup => "eventGroup",
        Field.SessionId => "sessionId",
        Field.CorrelationId => "correlationId",
        Field.UserId => "userId",
        Field.VmId => "vmId",
        Field.TaskId => "taskId",
        Field.NodeIp => "nodeIp",
        Field.WorkerId => "workerId",
        Field.ErrorMessage => "errorMessage",
        _ => "body",
    };

    /// <summary>A string value, or null for JSON null; anything else is refused.</summary>
    private static string? ReadString(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw Invalid(field, $"field '{field}' must be a string, got {Describe(reader.TokenType)}");
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            throw InvalidText(ref reader, field);
        }
    }

    /// <summary>Why a string could not be read: bytes that are not UTF-8, or an escape that is not a character.</summary>
    private static AuditValidationException InvalidText(ref Utf8JsonReader reader, string field) =>
        Utf8.IsValid(reader.ValueSpan)
            ? Invalid(field, $"field '{field}' contains an invalid Unicode escape")
            : Invalid(field, $"field '{field}' is not valid UTF-8");

    private static string? ReadText(ref Utf8JsonReader reader, string field, int maxLength)
    {
        var value = ReadString(ref reader, field);
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0 || string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(field, $"field '{field}' must not be empty");
        }

        if (value.Length > maxLength)
        {
            throw Invalid(field, $"field '{field}' must be at most {maxLength} characters");
        }

        if (value.Contains('\0'))
        {
            throw Invalid(field, $"field '{field}' must not contain the NUL character");
        }

        return value;
    }

    /// <summary>The 1-based ordinal of an enum's wire name, which is the enum's value.</summary>
    private static int? ReadEnum(ref Utf8JsonReader reader, string field, string[] names)
    {
        var value = ReadString(ref reader, field);
        if (value is null)
        {
            return null;
        }

        return WireNames.Ordinal(names, value)
            ?? throw Invalid(field, $"field '{field}' must be {WireNames.OneOf(names)}; got '{Truncate(value)}'");
    }

    private static Guid? ReadGuid(ref Utf8JsonReader reader, string field)
    {
        var value = ReadString(ref reader, field);
        if (value is null)
        {
            return null;
        }

        return Guid.TryParseExact(value, "D", out var guid)
            ? guid
            : throw Invalid(field, $"field '{field}' must be a UUID such as 550e8400-e29b-41d4-a716-446655440000; got '{Truncate(value)}'");
    }

    private static DateTimeOffset? ReadTimestamp(ref Utf8JsonReader reader, string field)
    {
        var value = ReadString(ref reader, field);
        if (value is null)
        {
            return null;
        }

        return Rfc3339.TryParse(value, out var parsed)
            ? parsed
            : throw Invalid(field, $"invalid {field} format, {Rfc3339.Expected}; got '{Truncate(value)}'");
    }

    /// <summary>A string field in its canonical spelling (<paramref name="canonical"/> returns null when the value is not one).</summary>
    private static string? ReadCanonical(ref Utf8JsonReader reader, string field, Func<string, string?> canonical, string expected)
    {
        var value = ReadString(ref reader, field);
        return value is null
            ? null
            : canonical(value) ?? throw Invalid(field, $"field '{field}' must be {expected}; got '{Truncate(value)}'");
    }

    private static string? ReadHttpPath(ref Utf8JsonReader reader, string field)
    {
        var value = ReadText(ref reader, field, AuditLimits.MaxHttpPathLength);
        return value is null || value[0] == '/'
            ? value
            : throw Invalid(field, $"field '{field}' must start with '/'; got '{Truncate(value)}'");
    }

    private static int? ReadHttpStatus(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value)
            && value is >= AuditLimits.MinHttpStatus and <= AuditLimits.MaxHttpStatus
            ? value
            : throw Invalid(field, $"field '{field}' must be an integer between {AuditLimits.MinHttpStatus} and {AuditLimits.MaxHttpStatus}, got {DescribeValue(ref reader)}");
    }

    /// <summary>A 64-bit integer written without fraction or exponent (as JSON numbers of integer ids are).</summary>
    private static long? ReadInt64(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value)
            ? value
            : throw Invalid(field, $"field '{field}' must be an integer between {long.MinValue} and {long.MaxValue}, got {DescribeValue(ref reader)}");
    }

    /// <summary>Milliseconds: a finite number, not negative (a negative zero is stored as zero).</summary>
    private static double? ReadLatency(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        return reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value) && double.IsFinite(value) && value >= 0
            ? value + 0.0
            : throw Invalid(field, $"field '{field}' must be a number of milliseconds of at least 0, got {DescribeValue(ref reader)}");
    }

    /// <summary>
    /// A JSON object kept as its UTF-8 text. Walks it once to refuse what Postgres jsonb cannot
    /// hold faithfully before it can reach storage: the NUL character, unpaired surrogates,
    /// member names repeated in one object (jsonb would keep only the last), and numbers whose
    /// size would explode when stored.
    /// </summary>
    private static string? ReadMetadata(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(field, $"field '{field}' must be a JSON object, got {Describe(reader.TokenType)}");
        }

        if (source.IsEmpty)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.GetRawText();
        }

        var start = (int)reader.TokenStartIndex;
        var depth = reader.CurrentDepth;
        var names = new Stack<HashSet<string>?>();
        names.Push(null);
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    names.Push(null);
                    break;
                case JsonTokenType.EndObject:
                    names.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    var name = ReadMetadataString(ref reader, field);
                    var seen = names.Pop() ?? [];
                    if (!seen.Add(name))
                    {
                        throw Invalid(field, $"field '{field}' repeats the member name '{Truncate(name)}' in one object");
                    }

                    names.Push(seen);
                    break;
                case JsonTokenType.String when reader.ValueIsEscaped:
                    ReadMetadataString(ref reader, field);
                    break;
                case JsonTokenType.Number when !IsStorableNumber(reader.ValueSpan):
                    throw Invalid(field, $"field '{field}' holds a number beyond 1e{MaxNumberExponent} or finer than 1e-{MaxNumberExponent}");
            }
        }

        var text = source[start..(int)reader.BytesConsumed];
        return Utf8.IsValid(text) ? Encoding.UTF8.GetString(text) : throw Invalid(field, $"field '{field}' is not valid UTF-8");
    }

    private static string ReadMetadataString(ref Utf8JsonReader reader, string field)
    {
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw InvalidText(ref reader, field);
        }

        return text.Contains('\0')
            ? throw Invalid(field, $"field '{field}' must not contain the NUL character (\\u0000)")
            : text;
    }

    /// <summary>
    /// True when a JSON number's digits lie within 10^±<see cref="MaxNumberExponent"/> (or it is
    /// zero). Postgres numeric expands <c>1e131071</c> into 131,072 stored digits, and refuses
    /// more; no audit value needs either.
    /// </summary>
    public static bool IsStorableNumber(ReadOnlySpan<byte> number)
    {
        var i = number.Length > 0 && number[0] == '-' ? 1 : 0;
        int firstNonZero = -1, lastNonZero = -1, pointAt = -1, digitsSeen = 0;
        for (; i < number.Length && number[i] is not (byte)'e' and not (byte)'E'; i++)
        {
            if (number[i] == '.')
            {
                pointAt = digitsSeen;
                continue;
            }

            if (number[i] != '0')
            {
                firstNonZero = firstNonZero < 0 ? digitsSeen : firstNonZero;
                lastNonZero = digitsSeen;
            }

            digitsSeen++;
        }

        if (firstNonZero < 0)
        {
            return true; // zero, whatever its exponent
        }

        long exponent = 0;
        if (i < number.Length)
        {
            var digits = number[(i + 1)..];
            var negative = digits.Length > 0 && digits[0] == '-';
            digits = digits.Length > 0 && digits[0] is (byte)'-' or (byte)'+' ? digits[1..] : digits;
            if (digits.Length > 9)
            {
                return false;
            }

            foreach (var d in digits)
            {
                exponent = (exponent * 10) + (d - '0');
            }

            exponent = negative ? -exponent : exponent;
        }

        var integerDigits = pointAt < 0 ? digitsSeen : pointAt;
        var top = exponent + integerDigits - 1 - firstNonZero; // power of ten of the leading digit
        var bottom = exponent + integerDigits - 1 - lastNonZero; // power of ten of the last non-zero digit
        return top <= MaxNumberExponent && bottom >= -MaxNumberExponent;
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteRawIfPresent(Utf8JsonWriter writer, JsonEncodedText name, string? json, bool validate)
    {
        if (json is not null)
        {
            writer.WritePropertyName(name);
            try
            {
                writer.WriteRawValue(json, skipInputValidation: !validate);
            }
            catch (JsonException)
            {
                throw Invalid(name.Value, $"Validation error: '{name.Value}' must be a JSON object");
            }
        }
    }

    private static void CheckDefined<T>(T value, string[] names, string field)
        where T : struct, Enum
    {
        var ordinal = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        if (ordinal < 1 || ordinal > names.Length)
        {
            throw Invalid(field, $"Validation error: '{field}' must be {WireNames.OneOf(names)}");
        }
    }

    /// <summary>The entry's property names and closed values, escaped and encoded to UTF-8 once.</summary>
    private static class Encoded
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText TraceId = JsonEncodedText.Encode("traceId");
        public static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
        public static readonly JsonEncodedText EventType = JsonEncodedText.Encode("eventType");
        public static readonly JsonEncodedText EventAction = JsonEncodedText.Encode("eventAction");
        public static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        public static readonly JsonEncodedText ActorType = JsonEncodedText.Encode("actorType");
        public static readonly JsonEncodedText ActorId = JsonEncodedText.Encode("actorId");
        public static readonly JsonEncodedText TargetType = JsonEncodedText.Encode("targetType");
        public static readonly JsonEncodedText TargetId = JsonEncodedText.Encode("targetId");
        public static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
        public static readonly JsonEncodedText TenantId = JsonEncodedText.Encode("tenantId");
        public static readonly JsonEncodedText RequestId = JsonEncodedText.Encode("requestId");
        public static readonly JsonEncodedText IpAddress = JsonEncodedText.Encode("ipAddress");
        public static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("userAgent");
        public static readonly JsonEncodedText HttpMethod = JsonEncodedText.Encode("httpMethod");
        public static readonly JsonEncodedText HttpPath = JsonEncodedText.Encode("httpPath");
        public static readonly JsonEncodedText HttpStatus = JsonEncodedText.Encode("httpStatus");
        public static readonly JsonEncodedText LatencyMs = JsonEncodedText.Encode("latencyMs");
        public static readonly JsonEncodedText ResourceType = JsonEncodedText.Encode("resourceType");
        public static readonly JsonEncodedText PartnerId = JsonEncodedText.Encode("partnerId");
        public static readonly JsonEncodedText ActorEmail = JsonEncodedText.Encode("actorEmail");
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
        public static readonly JsonEncodedText Namespace = JsonEncodedText.Encode("namespace");
        public static readonly JsonEncodedText EventGroup = JsonEncodedText.Encode("eventGroup");
        public static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("sessionId");
        public static readonly JsonEncodedText CorrelationId = JsonEncodedText.Encode("correlationId");
        public static readonly JsonEncodedText UserId = JsonEncodedText.Encode("userId");
        public static readonly JsonEncodedText VmId = JsonEncodedText.Encode("vmId");
        public static readonly JsonEncodedText TaskId = JsonEncodedText.Encode("taskId");
        public static readonly JsonEncodedText NodeIp = JsonEncodedText.Encode("nodeIp");
        public static readonly JsonEncodedText WorkerId = JsonEncodedText.Encode("workerId");
        public static readonly JsonEncodedText ErrorMessage = JsonEncodedText.Encode("errorMessage");
        public static readonly JsonEncodedText RequestMetadata = JsonEncodedText.Encode("requestMetadata");
        public static readonly JsonEncodedText ResponseMetadata = JsonEncodedText.Encode("responseMetadata");
        public static readonly JsonEncodedText AdditionalMetadata = JsonEncodedText.Encode("additionalMetadata");
        public static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("createdAt");

        /// <summary>Wire names in enum order (enum value - 1), as <see cref="WireNames"/> lists them.</summary>
        public static readonly JsonEncodedText[] Statuses = [.. WireNames.Statuses.Select(n => JsonEncodedText.Encode(n))];
        public static readonly JsonEncodedText[] ActorTypes = [.. WireNames.ActorTypes.Select(n => JsonEncodedText.Encode(n))];
        public static readonly JsonEncodedText[] TargetTypes = [.. WireNames.TargetTypes.Select(n => JsonEncodedText.Encode(n))];
        public static readonly JsonEncodedText[] EventActions = [.. WireNames.EventActions.Select(n => JsonEncodedText.Encode(n))];
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>A number as it was written; any other token by its kind.</summary>
    private static string DescribeValue(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.ValueSpan.Length <= 64
            ? Encoding.UTF8.GetString(reader.ValueSpan)
            : Describe(reader.TokenType);

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "...";

    private static AuditValidationException Required(string field) =>
        Invalid(field, $"field '{field}' is required");

    private static AuditValidationException Invalid(string field, string message) =>
        new(field, "Validation error: " + message);
}
