using System.Text.Json.Serialization;

namespace Argus.Grains.Abstractions.Querying;

/// <summary>
/// An entry's place in the order of every read, <c>(occurred_at desc, id desc)</c>: its timestamp
/// in microseconds since the Unix epoch (the precision Postgres stores) and its id. Compares in
/// that page order: the key that sorts first is the newer one, and among equal timestamps the
/// greater id in Postgres's uuid order (the 16 bytes in RFC 4122 order).
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct OrderKey(long Micros, Guid Id) : IComparable<OrderKey>
{
    /// <summary>The timestamp as a UTC <see cref="DateTime"/>, as Postgres parameters take it.</summary>
    [JsonIgnore]
    public DateTime UtcTime => DateTime.UnixEpoch.AddTicks(Micros * TimeSpan.TicksPerMicrosecond);

    public static OrderKey Of(AuditEntry entry) => Of(entry.Timestamp.UtcDateTime, entry.Id);

    public static OrderKey Of(DateTime utcTime, Guid id) => new((utcTime.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond, id);

    public int CompareTo(OrderKey other)
    {
        var byTime = other.Micros.CompareTo(Micros);
        return byTime != 0 ? byTime : CompareIds(other.Id, Id);
    }

    /// <summary>Postgres orders uuids by their bytes in RFC 4122 (big-endian) order.</summary>
    private static int CompareIds(Guid a, Guid b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, bigEndian: true, out _);
        b.TryWriteBytes(y, bigEndian: true, out _);
        return x.SequenceCompareTo(y);
    }
}
