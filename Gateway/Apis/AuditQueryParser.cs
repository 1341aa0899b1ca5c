using System.Globalization;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Gateway.Apis;

/// <summary>
/// Turns <c>GET /api/audit-logs</c> query parameters into an <see cref="AuditQuery"/>, refusing
/// anything it cannot honour with the parameter's name. An empty value counts as absent, so a
/// client may send every filter and leave the unused ones blank; a parameter given twice is refused,
/// and so is one the endpoint does not know (a misspelt filter would otherwise match everything).
/// A cursor is only carried along: the silo answering the query verifies it with the cluster's key.
/// </summary>
internal static class AuditQueryParser
{
    public static bool TryParse(IQueryCollection query, out AuditQuery parsedQuery, out AuditValidationException error) =>
        Attempt(
            () =>
            {
                var parameters = new QueryParameters(query);
                var parsed = Filters(parameters) with
                {
                    Limit = Integer(parameters, "limit", 1, AuditLimits.MaxLimit) ?? AuditLimits.DefaultLimit,
                    Offset = Integer(parameters, "offset", 0, int.MaxValue) ?? 0,
                    Cursor = Text(parameters, "cursor", AuditLimits.MaxCursorLength),
                    IncludeTotal = Boolean(parameters, "includeTotal"),
                };
                parameters.RefuseUnread();
                return parsed;
            },
            new AuditQuery(),
            out parsedQuery,
            out error);

    /// <summary>
    /// The filters of <see cref="TryParse"/> without its paging (a live tail has no pages), and the
    /// text of the optional parameter <paramref name="extra"/> (the tail's starting position).
    /// </summary>
    public static bool TryParseFilters(IQueryCollection query, string extra, out AuditQuery parsedQuery, out string? extraValue, out AuditValidationException error)
    {
        string? value = null;
        var parsedOk = Attempt(
            () =>
            {
                var parameters = new QueryParameters(query);
                var parsed = Filters(parameters);
                value = Text(parameters, extra, AuditLimits.MaxCursorLength * 16);
                parameters.RefuseUnread();
                return parsed;
            },
            new AuditQuery(),
            out parsedQuery,
            out error);
        extraValue = value;
        return parsedOk;
    }

    /// <summary>Every filter of <c>GET /api/audit-logs</c>.</summary>
    private static AuditQuery Filters(QueryParameters parameters)
    {
        var parsed = new AuditQuery
        {
            TraceId = TraceId(parameters, "traceId"),
            EventType = Text(parameters, "eventType", AuditLimits.MaxEventTypeLength),
            EventAction = Enum<EventAction>(parameters, "eventAction", WireNames.EventActions),
            Status = Enum<AuditStatus>(parameters, "status", WireNames.Statuses),
            ActorType = Enum<ActorType>(parameters, "actorType", WireNames.ActorTypes),
            ActorId = Text(parameters, "actorId", AuditLimits.MaxIdentifierLength),
            TargetType = Enum<TargetType>(parameters, "targetType", WireNames.TargetTypes),
            TargetId = Text(parameters, "targetId", AuditLimits.MaxIdentifierLength),
            Source = Text(parameters, "source", AuditLimits.MaxSourceLength),
            TenantId = Text(parameters, "tenantId", AuditLimits.MaxTenantIdLength),
            RequestId = Text(parameters, "requestId", AuditLimits.MaxRequestIdLength),
            IpAddress = IpAddress(parameters, "ipAddress"),
            HttpMethod = HttpMethod(parameters, "httpMethod"),
            HttpPath = HttpPath(parameters, "httpPath"),
            HttpStatus = Integer(parameters, "httpStatus", AuditLimits.MinHttpStatus, AuditLimits.MaxHttpStatus),
            PartnerId = Text(parameters, "partnerId", AuditLimits.MaxPartnerIdLength),
            ActorEmail = Text(parameters, "actorEmail", AuditLimits.MaxActorEmailLength),
            ResourceType = Text(parameters, "resourceType", AuditLimits.MaxResourceTypeLength),
            Since = Time(parameters, "since", "startTime"),
            Until = Time(parameters, "until", "endTime"),
        };
        CheckRange(parsed.Since, parsed.Until);
        return parsed;
    }

    /// <summary>The entries a statistics report counts: a time range under the same rules as <see cref="TryParse"/>, and a tenant.</summary>
    public static bool TryParseStats(IQueryCollection query, out AuditStatsQuery parsedQuery, out AuditValidationException error) =>
        Attempt(
            () =>
            {
                var parameters = new QueryParameters(query);
                var parsed = new AuditStatsQuery
                {
                    Since = Time(parameters, "since", "startTime"),
                    Until = Time(parameters, "until", "endTime"),
                    TenantId = Text(parameters, "tenantId", AuditLimits.MaxTenantIdLength),
                };
                CheckRange(parsed.Since, parsed.Until);
                parameters.RefuseUnread();
                return parsed;
            },
            new AuditStatsQuery(),
            out parsedQuery,
            out error);

    /// <summary>
    /// An optional integer parameter in <c>[min, max]</c>, under the same rules as <c>limit</c> and
    /// <c>offset</c>, and no other parameter but <paramref name="also"/> (which the caller reads itself).
    /// </summary>
    public static bool TryParseInteger(IQueryCollection query, string name, int min, int max, out int? value, out AuditValidationException error, string? also = null) =>
        Attempt(
            () =>
            {
                var parameters = new QueryParameters(query);
                var parsed = Integer(parameters, name, min, max);
                if (also is not null)
                {
                    _ = parameters[also];
                }

                parameters.RefuseUnread();
                return parsed;
            },
            null,
            out value,
            out error);

    /// <summary>
    /// A page of signed checkpoints: <c>kind</c> (one of <paramref name="kinds"/>, all when absent),
    /// <c>limit</c> in <c>[1, maxLimit]</c> (<paramref name="defaultLimit"/> when absent) and
    /// <c>before</c>, a checkpoint id (the previous page's <c>next</c>), and nothing else.
    /// </summary>
    public static bool TryParseCheckpointPage(
        IQueryCollection query, string[] kinds, int defaultLimit, int maxLimit, out (string? Kind, int Limit, long? Before) page, out AuditValidationException error) =>
        Attempt(
            () =>
            {
                var parameters = new QueryParameters(query);
                var kind = Single(parameters, "kind");
                if (kind is not null && !kinds.Contains(kind, StringComparer.Ordinal))
                {
                    throw Invalid("kind", $"query parameter 'kind' must be {WireNames.OneOf(kinds)}");
                }

                var limit = Integer(parameters, "limit", 1, maxLimit) ?? defaultLimit;
                var before = Single(parameters, "before");
                long? beforeId = before is null ? null
                    : long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1 ? id
                    : throw Invalid("before", "query parameter 'before' must be a checkpoint id (a positive integer), as the previous page's 'next'");
                parameters.RefuseUnread();
                return (kind, limit, beforeId);
            },
            (null, defaultLimit, null),
            out page,
            out error);

    /// <summary>For endpoints that take no parameters: any given is refused, naming it.</summary>
    public static bool TryParseNone(IQueryCollection query, out AuditValidationException error) =>
        Attempt(() => new QueryParameters(query).RefuseUnread(), true, out _, out error);

    /// <summary>Runs <paramref name="parse"/>; a refusal becomes false and the error naming its field (<paramref name="value"/> is then <paramref name="fallback"/>).</summary>
    private static bool Attempt<T>(Func<T> parse, T fallback, out T value, out AuditValidationException error)
    {
        try
        {
            value = parse();
            error = null!;
            return true;
        }
        catch (AuditValidationException e)
        {
            value = fallback;
            error = e;
            return false;
        }
    }

    private static void CheckRange(DateTimeOffset? since, DateTimeOffset? until)
    {
        if (since > until)
        {
            throw Invalid("since", "'since' must not be later than 'until'");
        }
    }

    private static string? Single(QueryParameters parameters, string name)
    {
        var values = parameters[name];
        if (values.Count > 1)
        {
            throw Invalid(name, $"query parameter '{name}' is given more than once");
        }

        var value = values.Count == 1 ? values[0] : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string? Text(QueryParameters parameters, string name, int maxLength)
    {
        var value = Single(parameters, name);
        return value is null ? null
            : value.Length > maxLength ? throw Invalid(name, $"query parameter '{name}' must be at most {maxLength} characters")
            : value.Contains('\0') ? throw Invalid(name, $"query parameter '{name}' must not contain the NUL character")
            : value;
    }

    private static Guid? TraceId(QueryParameters parameters, string name)
    {
        var value = Single(parameters, name);
        return value is null ? null
            : TraceParent.TryParseTraceId(value, out var trace) ? trace
            : throw Invalid(name, $"query parameter '{name}' must be a UUID such as 4bf92f35-77b3-4da6-a3ce-929d0e0e4736 or a W3C trace-id of 32 hex digits");
    }

    /// <summary>Canonical, as entries store it: <c>2001:DB8::1</c> finds what was sent as <c>2001:db8:0:0::1</c>.</summary>
    private static string? IpAddress(QueryParameters parameters, string name)
    {
        var value = Single(parameters, name);
        return value is null ? null
            : RequestContextValues.CanonicalIpAddress(value)
            ?? throw Invalid(name, $"query parameter '{name}' must be an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1");
    }

    /// <summary>Upper-case, as entries store it.</summary>
    private static string? HttpMethod(QueryParameters parameters, string name)
    {
        var value = Single(parameters, name);
        return value is null ? null
            : RequestContextValues.CanonicalHttpMethod(value)
            ?? throw Invalid(name, $"query parameter '{name}' must be an HTTP method such as GET");
    }

    /// <summary>Stored paths start with '/': a value that does not can match nothing, so it is refused as a mistake.</summary>
    private static string? HttpPath(QueryParameters parameters, string name)
    {
        var value = Text(parameters, name, AuditLimits.MaxHttpPathLength);
        return value is null || value[0] == '/'
            ? value
            : throw Invalid(name, $"query parameter '{name}' must start with '/'");
    }

    private static T? Enum<T>(QueryParameters parameters, string name, string[] names)
        where T : struct, System.Enum
    {
        var value = Single(parameters, name);
        if (value is null)
        {
            return null;
        }

        return WireNames.Ordinal(names, value) is { } ordinal
            ? (T)System.Enum.ToObject(typeof(T), ordinal)
            : throw Invalid(name, $"query parameter '{name}' must be {WireNames.OneOf(names)}");
    }

    /// <summary>A time bound under either of its names (seed 003's since/until, seed 001's startTime/endTime).</summary>
    private static DateTimeOffset? Time(QueryParameters parameters, string name, string alias)
    {
        var value = Single(parameters, name);
        var aliased = Single(parameters, alias);
        if (value is not null && aliased is not null)
        {
            throw Invalid(name, $"give '{name}' or '{alias}', not both");
        }

        var used = value is not null ? name : alias;
        value ??= aliased;
        return value is null ? null
            : Rfc3339.TryParse(value, out var parsed) ? parsed
            : throw Invalid(used, $"query parameter '{used}' has an invalid format, {Rfc3339.Expected}");
    }

    private static bool? Boolean(QueryParameters parameters, string name) =>
        Single(parameters, name) switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => throw Invalid(name, $"query parameter '{name}' must be true or false"),
        };

    private static int? Integer(QueryParameters parameters, string name, int min, int max)
    {
        var value = Single(parameters, name);
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max
            ? parsed
            : throw Invalid(name, max == int.MaxValue
                ? $"query parameter '{name}' must be an integer of at least {min}"
                : $"query parameter '{name}' must be an integer between {min} and {max}");
    }

    private static AuditValidationException Invalid(string field, string message) => new(field, "Validation error: " + message);

    /// <summary>The query string as one parser reads it: it remembers the names asked for, so that any other can be refused.</summary>
    private sealed class QueryParameters(IQueryCollection query)
    {
        private readonly HashSet<string> read = new(StringComparer.OrdinalIgnoreCase);

        public Microsoft.Extensions.Primitives.StringValues this[string name]
        {
            get
            {
                read.Add(name);
                return query[name];
            }
        }

        /// <summary>Refuses the first parameter no parser asked for, suggesting a known name it resembles.</summary>
        public bool RefuseUnread()
        {
            foreach (var name in query.Keys)
            {
                if (!read.Contains(name))
                {
                    var like = read
                        .Where(k => k.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(k, StringComparison.OrdinalIgnoreCase))
                        .OrderBy(k => Math.Abs(k.Length - name.Length)).ThenBy(k => k, StringComparer.Ordinal)
                        .FirstOrDefault();
                    throw Invalid(name, $"unknown query parameter '{name}'" + (like is null ? "" : $"; did you mean '{like}'?"));
                }
            }

            return true;
        }
    }
}
