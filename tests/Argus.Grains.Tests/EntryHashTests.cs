using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Integrity;

namespace Argus.Grains.Tests;

/// <summary>
/// The canonical encoding of version 1 (docs/integrity.md): its test vectors, byte for byte, and
/// the properties the chain relies on: every field counts, spelling of JSON does not.
/// </summary>
public sealed class EntryHashTests
{
    /// <summary>Test vector 1: the fewest fields an entry has, first in partition 3.</summary>
    public static readonly AuditEntry Minimal = new()
    {
        Id = Guid.Parse("0190f0c8-6a3e-7d2a-9b1c-2f4e5a6b7c8d"),
        Timestamp = DateTimeOffset.Parse("2026-01-20T10:00:00.123456Z", System.Globalization.CultureInfo.InvariantCulture),
        Status = AuditStatus.Success,
        ActorType = ActorType.Service,
        ActorId = "billing",
        TargetType = TargetType.Resource,
    };

    /// <summary>Test vector 2: every field, second in partition 3 (after vector 1).</summary>
    public static readonly AuditEntry Full = Minimal with
    {
        Id = Guid.Parse("0190f0c8-6a3e-7d2a-9b1c-2f4e5a6b7c8e"),
        TraceId = Guid.Parse("550e8400-e29b-41d4-a716-446655440000"),
        EventType = "DATA_FETCH",
        EventAction = EventAction.Read,
        Status = AuditStatus.Failure,
        TargetId = "invoice/42",
        RequestMetadata = """{"b": [1.50, true, null], "a": "é"}""",
        ResponseMetadata = """{"rows": 0}""",
        AdditionalMetadata = "{}",
        Source = "urn:svc:billing",
        TenantId = "acme",
        RequestId = "req-1",
        IpAddress = "192.0.2.7",
        UserAgent = "curl/8.5",
        HttpMethod = "GET",
        HttpPath = "/invoices/42",
        HttpStatus = 403,
        LatencyMs = 12.5,
        ResourceType = "Invoice",
        PartnerId = "p-9",
        ActorEmail = "ops@example.com",
        Role = "auditor",
        Namespace = "prod",
        EventGroup = "billing",
        SessionId = "s-1",
        CorrelationId = "c-1",
        UserId = 42,
        VmId = "vm-1",
        TaskId = -7,
        NodeIp = "2001:db8::1",
        WorkerId = "w-1",
        ErrorMessage = "denied",
    };

    public static readonly DateTimeOffset CreatedAt = DateTimeOffset.Parse("2026-01-20T10:00:00.5Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Header, previous hash (genesis), partition, seq, then fields 1, 3, 6, 7, 8, 9 and 37.</summary>
    public const string MinimalEncoding =
        "61726775732d656e7472792f310a" + "0000000000000000000000000000000000000000000000000000000000000000" + "00000003" + "0000000000000001"
        + "01" + "0190f0c86a3e7d2a9b1c2f4e5a6b7c8d"
        + "03" + "000648cedee2aa40"
        + "06" + "00000007" + "53554343455353"
        + "07" + "00000007" + "53455256494345"
        + "08" + "00000007" + "62696c6c696e67"
        + "09" + "00000008" + "5245534f55524345"
        + "25" + "000648cedee86920";

    public const string MinimalHash = "db3a8bc8a6cf02ae77dc19008b5ec326c2bb6db77a6db3cc58bf41361f5534c1";

    public const string FullHash = "b43c515d717cd94d788ae387e86f71cc05277a52c09d05e5d42f7a7b3237aa96";

    [Fact]
    public void Vector_1_encodes_and_hashes_as_documented()
    {
        var hasher = new EntryHash();
        var hash = hasher.Compute(Minimal, CreatedAt, 3, 1, EntryHash.Genesis.Span);

        Assert.Equal(MinimalEncoding, Convert.ToHexStringLower(hasher.LastEncoding));
        Assert.Equal(MinimalHash, Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Vector_2_chains_after_vector_1()
    {
        var hasher = new EntryHash();
        var first = hasher.Compute(Minimal, CreatedAt, 3, 1, EntryHash.Genesis.Span);

        Assert.Equal(FullHash, Convert.ToHexStringLower(hasher.Compute(Full, CreatedAt, 3, 2, first)));
    }

    [Fact]
    public void Every_field_and_the_position_change_the_hash()
    {
        var hasher = new EntryHash();
        var original = Convert.ToHexString(hasher.Compute(Full, CreatedAt, 3, 2, EntryHash.Genesis.Span));
        var changed = new List<byte[]>
        {
            hasher.Compute(Full, CreatedAt.AddTicks(10), 3, 2, EntryHash.Genesis.Span),
            hasher.Compute(Full, CreatedAt, 4, 2, EntryHash.Genesis.Span),
            hasher.Compute(Full, CreatedAt, 3, 3, EntryHash.Genesis.Span),
            hasher.Compute(Full, CreatedAt, 3, 2, Enumerable.Repeat((byte)1, 32).ToArray()),
        };
        foreach (var property in typeof(AuditEntry).GetProperties().Where(p => p.CanWrite && p.Name != nameof(AuditEntry.CreatedAt)))
        {
            var copy = Full with { };
            var value = property.GetValue(Full);
            property.SetValue(copy, value switch
            {
                Guid g => Guid.NewGuid(),
                DateTimeOffset t => t.AddTicks(10),
                string s when s.StartsWith('{') => """{"other": 1}""",
                string s when property.Name.Contains("Ip", StringComparison.Ordinal) => "198.51.100.1",
                string s => s + "x",
                int i => i + 1,
                long l => l + 1,
                double d => d + 1,
                EventAction => EventAction.Update,
                AuditStatus => AuditStatus.Success,
                ActorType => ActorType.Admin,
                TargetType => TargetType.Service,
                _ => throw new InvalidOperationException($"no change for {property.Name}"),
            });
            changed.Add(hasher.Compute(copy, CreatedAt, 3, 2, EntryHash.Genesis.Span));
        }

        Assert.All(changed, hash => Assert.NotEqual(original, Convert.ToHexString(hash)));
        Assert.Equal(changed.Count, changed.Select(Convert.ToHexString).Distinct().Count());
    }

    [Fact]
    public void A_field_left_out_is_not_the_same_as_an_empty_one()
    {
        var hasher = new EntryHash();
        var absent = Convert.ToHexString(hasher.Compute(Minimal, CreatedAt, 0, 1, EntryHash.Genesis.Span));

        Assert.NotEqual(absent, Convert.ToHexString(hasher.Compute(Minimal with { TargetId = "" }, CreatedAt, 0, 1, EntryHash.Genesis.Span)));
        Assert.NotEqual(absent, Convert.ToHexString(hasher.Compute(Minimal with { RequestMetadata = "{}" }, CreatedAt, 0, 1, EntryHash.Genesis.Span)));
    }

    [Fact]
    public void Json_spelling_does_not_change_the_hash()
    {
        var hasher = new EntryHash();
        var spelled = Full with { RequestMetadata = """ { "a" : "\u00e9", "b" : [ 15e-1, true, null ] } """ };

        Assert.Equal(
            Convert.ToHexString(hasher.Compute(Full, CreatedAt, 3, 2, EntryHash.Genesis.Span)),
            Convert.ToHexString(hasher.Compute(spelled, CreatedAt, 3, 2, EntryHash.Genesis.Span)));
    }

    [Theory]
    [InlineData("""{"a": 1, "b": [10, 20.0, -0]}""", """{"b": [1e1, 2E+1, 0.0], "a": 1.00}""")]
    [InlineData("""{"a": 1, "a": 2}""", """{"a": 2}""")]
    [InlineData("""{"\u0062": {"y": [], "x": {}}, "a": "\u00e9"}""", """{"a": "é", "b": {"x": {}, "y": []}}""")]
    [InlineData("""[{"b": 1, "a": 2}, 120, "s"]""", """[{"a": 2, "b": 1}, 1.2e2, "\u0073"]""")]
    public void Json_values_equal_in_value_encode_alike(string one, string other) =>
        Assert.Equal(Canonical(one), Canonical(other));

    [Theory]
    [InlineData("""{"a": 1}""", """{"a": 2}""")]
    [InlineData("""{"a": 1}""", """{"b": 1}""")]
    [InlineData("""{"a": [1, 2]}""", """{"a": [2, 1]}""")]
    [InlineData("""{"a": "1"}""", """{"a": 1}""")]
    [InlineData("""{"a": null}""", """{}""")]
    [InlineData("""{"a": 100}""", """{"a": 10}""")]
    public void Json_values_that_differ_encode_differently(string one, string other) =>
        Assert.NotEqual(Canonical(one), Canonical(other));

    private static string Canonical(string json)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        CanonicalJson.Write(output, json);
        return Convert.ToHexString(output.WrittenSpan);
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0.000", "0")]
    [InlineData("0e5", "0")]
    [InlineData("100", "1e2")]
    [InlineData("1.50", "15e-1")]
    [InlineData("0.150E1", "15e-1")]
    [InlineData("-12.5e+3", "-125e2")]
    [InlineData("0.001", "1e-3")]
    [InlineData("12345678901234567890123", "12345678901234567890123e0")]
    [InlineData("1E+400", "1e400")]
    public void Numbers_encode_by_value(string number, string canonical) =>
        Assert.Equal(canonical, CanonicalJson.CanonicalNumber(number));

    [Fact]
    public void Times_encode_as_Postgres_stores_them()
    {
        var hasher = new EntryHash();
        var stored = Convert.ToHexString(hasher.Compute(Minimal, CreatedAt, 0, 1, EntryHash.Genesis.Span));

        // Below a microsecond is dropped (towards 2000-01-01, as the driver does).
        Assert.Equal(stored, Convert.ToHexString(hasher.Compute(Minimal with { Timestamp = Minimal.Timestamp.AddTicks(9) }, CreatedAt, 0, 1, EntryHash.Genesis.Span)));
        var before2000 = Minimal with { Timestamp = new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero) };
        Assert.Equal(
            Convert.ToHexString(hasher.Compute(before2000, CreatedAt, 0, 1, EntryHash.Genesis.Span)),
            Convert.ToHexString(hasher.Compute(before2000 with { Timestamp = before2000.Timestamp.AddTicks(-9) }, CreatedAt, 0, 1, EntryHash.Genesis.Span)));
    }
}
