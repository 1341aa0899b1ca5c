using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Argus.Grains.Abstractions.Integrity;

/// <summary>
/// An entry's place in its partition's hash chain: <c>hash = SHA-256(encoding)</c>, where the
/// encoding (version 1, docs/integrity.md) is a fixed header, the previous entry's hash, the
/// partition and sequence number, then every stored field that is not NULL as its field number
/// and value. Fields absent from an entry are left out, so a column added later (with a new
/// field number) leaves the hashes of older entries as they were.
/// </summary>
/// <remarks>
/// Not thread-safe: an instance reuses one buffer. The writer keeps one; a verifier one per walk.
/// </remarks>
public sealed class EntryHash
{
    public const int Length = 32;

    /// <summary>The first bytes of every encoding: the format and its version.</summary>
    public static ReadOnlySpan<byte> Header => "argus-entry/1\n"u8;

    /// <summary>The previous hash of a partition's first entry.</summary>
    public static ReadOnlyMemory<byte> Genesis { get; } = new byte[Length];

    private readonly ArrayBufferWriter<byte> buffer = new(1024);

    /// <summary>The encoding of the last <see cref="Compute"/>, for test vectors and auditors.</summary>
    public ReadOnlySpan<byte> LastEncoding => buffer.WrittenSpan;

    /// <summary>The hash of <paramref name="entry"/> stored at (<paramref name="partition"/>, <paramref name="seq"/>) after <paramref name="previous"/>.</summary>
    public byte[] Compute(AuditEntry entry, DateTimeOffset createdAt, int partition, long seq, ReadOnlySpan<byte> previous)
    {
        var hash = new byte[Length];
        Compute(entry, createdAt, partition, seq, previous, hash);
        return hash;
    }

    public void Compute(AuditEntry entry, DateTimeOffset createdAt, int partition, long seq, ReadOnlySpan<byte> previous, Span<byte> hash)
    {
        if (previous.Length != Length)
        {
            throw new ArgumentException($"a previous hash is {Length} bytes", nameof(previous));
        }

        buffer.ResetWrittenCount();
        Encode(entry, createdAt, partition, seq, previous);
        SHA256.HashData(buffer.WrittenSpan, hash);
    }

    private void Encode(AuditEntry e, DateTimeOffset createdAt, int partition, long seq, ReadOnlySpan<byte> previous)
    {
        buffer.Write(Header);
        buffer.Write(previous);
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), partition);
        buffer.Advance(4);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), seq);
        buffer.Advance(8);

        Uuid(Field.Id, e.Id);
        if (e.TraceId is { } trace)
        {
            Uuid(Field.TraceId, trace);
        }

        Time(Field.OccurredAt, e.Timestamp);
        Text(Field.EventType, e.EventType);
        Text(Field.EventAction, e.EventAction?.ToWire());
        Text(Field.Status, e.Status.ToWire());
        Text(Field.ActorType, e.ActorType.ToWire());
        Text(Field.ActorId, e.ActorId);
        Text(Field.TargetType, e.TargetType.ToWire());
        Text(Field.TargetId, e.TargetId);
        Json(Field.RequestMetadata, e.RequestMetadata);
        Json(Field.ResponseMetadata, e.ResponseMetadata);
        Json(Field.AdditionalMetadata, e.AdditionalMetadata);
        Text(Field.Source, e.Source);
        Text(Field.TenantId, e.TenantId);
        Text(Field.RequestId, e.RequestId);
        Address(Field.IpAddress, e.IpAddress);
        Text(Field.UserAgent, e.UserAgent);
        Text(Field.HttpMethod, e.HttpMethod);
        Text(Field.HttpPath, e.HttpPath);
        if (e.HttpStatus is { } status)
        {
            Tag(Field.HttpStatus);
            BinaryPrimitives.WriteInt16BigEndian(buffer.GetSpan(2), checked((short)status));
            buffer.Advance(2);
        }

        if (e.LatencyMs is { } latency)
        {
            Tag(Field.LatencyMs);
            BinaryPrimitives.WriteDoubleBigEndian(buffer.GetSpan(8), latency);
            buffer.Advance(8);
        }

        Text(Field.ResourceType, e.ResourceType);
        Text(Field.PartnerId, e.PartnerId);
        Text(Field.ActorEmail, e.ActorEmail);
        Text(Field.Role, e.Role);
        Text(Field.Namespace, e.Namespace);
        Text(Field.EventGroup, e.EventGroup);
        Text(Field.SessionId, e.SessionId);
        Text(Field.CorrelationId, e.CorrelationId);
        Integer(Field.UserId, e.UserId);
        Text(Field.VmId, e.VmId);
        Integer(Field.TaskId, e.TaskId);
        Address(Field.NodeIp, e.NodeIp);
        Text(Field.WorkerId, e.WorkerId);
        Text(Field.ErrorMessage, e.ErrorMessage);
        Time(Field.CreatedAt, createdAt);
    }

    private void Tag(Field field) => CanonicalJson.WriteByte(buffer, (byte)field);

    private void Uuid(Field field, Guid value)
    {
        Tag(field);
        value.TryWriteBytes(buffer.GetSpan(16), bigEndian: true, out _);
        buffer.Advance(16);
    }

    /// <summary>
    /// Microseconds since 1970-01-01T00:00:00Z of the time as Postgres stores it: the driver drops
    /// the ticks below a microsecond towards 2000-01-01, Postgres's origin. (DateTime.MinValue and
    /// MaxValue, which the driver stores as -infinity and infinity and reads back as themselves,
    /// encode as year 1's first and year 9999's last microsecond.)
    /// </summary>
    private void Time(Field field, DateTimeOffset value)
    {
        Tag(field);
        var sincePostgresEpoch = (value.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), sincePostgresEpoch + PostgresEpochMicros);
        buffer.Advance(8);
    }

    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly long PostgresEpochMicros = (PostgresEpochTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    private void Text(Field field, string? value)
    {
        if (value is null)
        {
            return;
        }

        Tag(field);
        var length = Encoding.UTF8.GetByteCount(value);
        CanonicalJson.WriteCount(buffer, length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private void Integer(Field field, long? value)
    {
        if (value is not { } v)
        {
            return;
        }

        Tag(field);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), v);
        buffer.Advance(8);
    }

    /// <summary>The address's bytes after their count (4 for IPv4, 16 for IPv6).</summary>
    private void Address(Field field, string? value)
    {
        if (value is null)
        {
            return;
        }

        Tag(field);
        var bytes = IPAddress.Parse(value).GetAddressBytes();
        CanonicalJson.WriteByte(buffer, (byte)bytes.Length);
        buffer.Write(bytes);
    }

    private void Json(Field field, string? value)
    {
        if (value is null)
        {
            return;
        }

        Tag(field);
        CanonicalJson.Write(buffer, value);
    }

    /// <summary>The field numbers of encoding version 1. A new column gets the next number; numbers are never reused.</summary>
    public enum Field : byte
    {
        Id = 1,
        TraceId = 2,
        OccurredAt = 3,
        EventType = 4,
        EventAction = 5,
        Status = 6,
        ActorType = 7,
        ActorId = 8,
        TargetType = 9,
        TargetId = 10,
        RequestMetadata = 11,
        ResponseMetadata = 12,
        AdditionalMetadata = 13,
        Source = 14,
        TenantId = 15,
        RequestId = 16,
        IpAddress = 17,
        UserAgent = 18,
        HttpMethod = 19,
        HttpPath = 20,
        HttpStatus = 21,
        LatencyMs = 22,
        ResourceType = 23,
        PartnerId = 24,
        ActorEmail = 25,
        Role = 26,
        Namespace = 27,
        EventGroup = 28,
        SessionId = 29,
        CorrelationId = 30,
        UserId = 31,
        VmId = 32,
        TaskId = 33,
        NodeIp = 34,
        WorkerId = 35,
        ErrorMessage = 36,
        CreatedAt = 37,
    }
}
