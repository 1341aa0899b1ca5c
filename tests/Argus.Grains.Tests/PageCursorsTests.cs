using System.Buffers.Text;
using System.Security.Cryptography;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Grains.Tests;

/// <summary>A cursor names a position under some filters, and no caller can change either without it being refused.</summary>
public sealed class PageCursorsTests
{
    private static readonly AuditQuery Query = new() { EventType = "LOGIN", Status = AuditStatus.Failure, Since = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero) };

    private static readonly OrderKey Position = new(1_717_200_000_123_456, Guid.Parse("0190f3a4-5b6c-7d8e-9f00-112233445566"));

    private readonly PageCursors cursors = WithKey(RandomNumberGenerator.GetBytes(PageCursors.KeyLength));

    [Fact]
    public void A_cursor_names_its_position_under_the_same_filters()
    {
        var cursor = cursors.Encode(Position, Query);

        Assert.Equal(66, cursor.Length);
        Assert.Equal(Position, cursors.Decode(cursor, Query));
    }

    [Fact]
    public void Paging_parameters_are_not_filters()
    {
        var cursor = cursors.Encode(Position, Query with { Limit = 10, Offset = 30 });

        Assert.Equal(Position, cursors.Decode(cursor, Query with { Limit = 500, IncludeTotal = true, Cursor = "anything" }));
    }

    [Fact]
    public void The_same_instant_written_in_another_offset_is_the_same_filter()
    {
        var cursor = cursors.Encode(Position, Query);

        Assert.Equal(Position, cursors.Decode(cursor, Query with { Since = Query.Since!.Value.ToOffset(TimeSpan.FromHours(2)) }));
    }

    [Theory]
    [MemberData(nameof(OtherFilters))]
    public void A_cursor_is_refused_under_other_filters(AuditQuery other)
    {
        var cursor = cursors.Encode(Position, Query);

        var refused = Assert.Throws<AuditValidationException>(() => cursors.Decode(cursor, other));

        Assert.Equal("cursor", refused.Field);
        Assert.Contains("other filters", refused.Message, StringComparison.Ordinal);
    }

    public static TheoryData<AuditQuery> OtherFilters => new()
    {
        Query with { EventType = "LOGOUT" },
        Query with { Status = null },
        Query with { ActorId = "someone" },
        Query with { Since = Query.Since!.Value.AddTicks(10) },
        Query with { Until = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        new AuditQuery(),
    };

    [Fact]
    public void Changing_any_byte_of_a_cursor_makes_it_refused()
    {
        var token = Base64Url.DecodeFromChars(cursors.Encode(Position, Query));

        for (var i = 0; i < token.Length; i++)
        {
            var tampered = token.ToArray();
            tampered[i] ^= 0x01;

            var refused = Assert.Throws<AuditValidationException>(() => cursors.Decode(Base64Url.EncodeToString(tampered), Query));
            Assert.Equal("cursor", refused.Field);
        }
    }

    [Fact]
    public void A_cursor_of_another_cluster_is_refused()
    {
        var theirs = WithKey(RandomNumberGenerator.GetBytes(PageCursors.KeyLength)).Encode(Position, Query);

        var refused = Assert.Throws<AuditValidationException>(() => cursors.Decode(theirs, Query));

        Assert.Contains("not issued by this cluster", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("not a cursor at all, but of about the right length for one......")]
    [InlineData("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%")]
    public void A_malformed_cursor_is_refused(string cursor)
    {
        var refused = Assert.Throws<AuditValidationException>(() => cursors.Decode(cursor, Query));

        Assert.Equal("cursor", refused.Field);
        Assert.Contains("malformed", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_canonical_spelling_of_a_cursor_is_accepted()
    {
        var cursor = cursors.Encode(Position, Query);
        var padded = cursor + "==";
        var standardAlphabet = Convert.ToBase64String(Base64Url.DecodeFromChars(cursor));
        // 49 bytes leave four unused bits in the last character: setting one spells the same bytes differently.
        var lastBits = cursor[..^1] + Base64UrlAlphabet[Base64UrlAlphabet.IndexOf(cursor[^1], StringComparison.Ordinal) ^ 1];

        foreach (var variant in new[] { padded, standardAlphabet, lastBits }.Where(v => v != cursor))
        {
            Assert.Throws<AuditValidationException>(() => cursors.Decode(variant, Query));
        }
    }

    [Fact]
    public void A_cursor_of_an_unknown_version_is_refused()
    {
        var token = Base64Url.DecodeFromChars(cursors.Encode(Position, Query));
        token[0] = 2;

        Assert.Throws<AuditValidationException>(() => cursors.Decode(Base64Url.EncodeToString(token), Query));
    }

    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static PageCursors WithKey(byte[] key)
    {
        var cursors = new PageCursors();
        cursors.UseKey(key);
        return cursors;
    }
}
