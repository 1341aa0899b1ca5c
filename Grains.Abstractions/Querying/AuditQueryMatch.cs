using System.Net;

namespace Argus.Grains.Abstractions.Querying;

/// <summary>
/// Whether an entry is one of a query's matches, decided in memory exactly as the SQL that Argus
/// builds from the same query (<c>AuditFilters</c>) decides it in Postgres, so that entries
/// filtered as they are committed are the ones a read of the same query returns. Paging (limit,
/// offset, cursor, totals) chooses among the matches and plays no part.
/// </summary>
/// <remarks>
/// Each filter compares the value as Postgres holds it with the parameter as Npgsql sends it:
/// text byte for byte (equality under a deterministic collation), enums as values (each has one
/// wire name, so equal values are equal stored text), addresses as <c>inet</c> values
/// (family and bytes, however they are spelled), the HTTP status as the <c>smallint</c> both are
/// converted to, and times as <c>timestamptz</c> microseconds.
/// </remarks>
public static class AuditQueryMatch
{
    /// <summary>2000-01-01T00:00:00Z, the origin of a <c>timestamptz</c>.</summary>
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>
    /// True when <paramref name="entry"/> satisfies every filter of <paramref name="query"/> and
    /// lies inside its scope. A filter set to a value never matches an entry without that field,
    /// as <c>NULL = value</c> is not true in SQL.
    /// </summary>
    public static bool Matches(this AuditQuery query, AuditEntry entry) =>
        (query.TraceId is not { } traceId || entry.TraceId == traceId)
        && Text(query.EventType, entry.EventType)
        && (query.EventAction is not { } eventAction || entry.EventAction == eventAction)
        && (query.Status is not { } status || entry.Status == status)
        && (query.ActorType is not { } actorType || entry.ActorType == actorType)
        && Text(query.ActorId, entry.ActorId)
        && (query.TargetType is not { } targetType || entry.TargetType == targetType)
        && Text(query.TargetId, entry.TargetId)
        && Text(query.Source, entry.Source)
        && Text(query.TenantId, entry.TenantId)
        && Text(query.RequestId, entry.RequestId)
        && Address(query.IpAddress, entry.IpAddress)
        && Text(query.HttpMethod, entry.HttpMethod)
        && Text(query.HttpPath, entry.HttpPath)
        // Both sides are converted to smallint (the column's type) the same way, the filter by AuditFilters, the entry by CommitBatch.
        && (query.HttpStatus is null || (short?)entry.HttpStatus == (short?)query.HttpStatus)
        && Text(query.PartnerId, entry.PartnerId)
        && Text(query.ActorEmail, entry.ActorEmail)
        && Text(query.ResourceType, entry.ResourceType)
        && (query.Since is not { } since || PostgresTime(entry.Timestamp) >= PostgresTime(since))
        && (query.Until is not { } until || PostgresTime(entry.Timestamp) < PostgresTime(until))
        && Text(query.Scope.Tenant, entry.TenantId);

    /// <summary>A text filter: unset, or equal code unit for code unit (for valid text, the same as byte for byte in UTF-8).</summary>
    private static bool Text(string? filter, string? value) => filter is null || string.Equals(filter, value, StringComparison.Ordinal);

    /// <summary>
    /// An address filter: unset, or the same <c>inet</c> value. The filter is parsed as
    /// <c>AuditFilters</c> parses it (throwing when it is not an address, as the read would);
    /// equal text needs no parsing.
    /// </summary>
    private static bool Address(string? filter, string? value)
    {
        if (filter is null || string.Equals(filter, value, StringComparison.Ordinal))
        {
            return true;
        }

        var wanted = IPAddress.Parse(filter);
        return value is not null && IPAddress.TryParse(value, out var address) && SameInet(wanted, address);
    }

    /// <summary>
    /// <c>inet</c> equality of two host addresses: same family and bytes. An IPv4 address and its
    /// IPv4-mapped IPv6 form differ, as they do in Postgres; an IPv6 zone, which <c>inet</c> cannot
    /// hold, is left out.
    /// </summary>
    private static bool SameInet(IPAddress a, IPAddress b)
    {
        if (a.AddressFamily != b.AddressFamily)
        {
            return false;
        }

        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        return a.TryWriteBytes(x, out var xLength) && b.TryWriteBytes(y, out var yLength) && x[..xLength].SequenceEqual(y[..yLength]);
    }

    /// <summary>
    /// A time as Npgsql sends it to a <c>timestamptz</c>, for the entry's row and the bounds alike:
    /// microseconds since 2000-01-01 with the ticks below a microsecond dropped (towards 2000, so
    /// earlier times move up), and <see cref="DateTime.MinValue"/> and <see cref="DateTime.MaxValue"/>
    /// as <c>-infinity</c> and <c>infinity</c>, below and above every other time.
    /// </summary>
    private static long PostgresTime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        return ticks == DateTime.MinValue.Ticks ? long.MinValue
            : ticks == DateTime.MaxValue.Ticks ? long.MaxValue
            : (ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
    }
}
