namespace Argus.Grains.Tests;

/// <summary>The trace-id of a W3C traceparent header, read as a UUID with the same bytes; invalid headers give nothing.</summary>
public sealed class TraceParentTests
{
    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", "0af76519-16cd-43dd-8448-eb211c80319c")]
    [InlineData("00-00000000000000000000000000000001-00f067aa0ba902b7-01", "00000000-0000-0000-0000-000000000001")]
    [InlineData("00-ffffffffffffffffffffffffffffffff-00f067aa0ba902b7-01", "ffffffff-ffff-ffff-ffff-ffffffffffff")]
    [InlineData("  00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736")]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736")]
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future-fields", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736")]
    public void Valid_header_gives_its_trace_id_as_a_uuid_with_the_same_bytes(string header, string expected)
    {
        Assert.True(TraceParent.TryGetTraceId(header, out var traceId));

        Assert.Equal(Guid.Parse(expected), traceId);
        Assert.Equal(expected.Replace("-", "", StringComparison.Ordinal), Convert.ToHexStringLower(traceId.ToByteArray(bigEndian: true)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f35-77b3-4da6-a3ce-929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01")]
    public void Invalid_header_gives_nothing(string header)
    {
        Assert.False(TraceParent.TryGetTraceId(header, out var traceId));
        Assert.Equal(Guid.Empty, traceId);
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-zzzzzzzzzzzzzzzz-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz")]
    [InlineData("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01xyz")]
    public void Header_with_an_invalid_parent_id_flags_or_version_gives_nothing(string header)
    {
        Assert.False(TraceParent.TryGetTraceId(header, out _));
    }
}
