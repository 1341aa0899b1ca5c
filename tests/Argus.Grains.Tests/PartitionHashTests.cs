using Argus.Grains.Abstractions.Partitioning;

namespace Argus.Grains.Tests;

/// <summary>
/// The trace -> partition map must never change between processes, machines or releases: every
/// silo of a cluster, old or new, has to agree on where a trace lives. And it must spread traces evenly.
/// </summary>
public sealed class PartitionHashTests
{
    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", 9808874869469701221UL, 37, 5)]
    [InlineData("00000000-0000-0000-0000-000000000001", 9808873769958073010UL, 50, 2)]
    [InlineData("550e8400-e29b-41d4-a716-446655440000", 553399732847423922UL, 50, 2)]
    [InlineData("4bf92f35-77b3-4da6-a3ce-929d0e0e4736", 12180425081350451581UL, 61, 5)]
    [InlineData("ffffffff-ffff-ffff-ffff-ffffffffffff", 15447475403222018133UL, 21, 5)]
    public void Hash_and_partition_are_pinned(string key, ulong hash, int of64, int of8)
    {
        var guid = Guid.Parse(key);

        Assert.Equal(hash, PartitionHash.Hash(guid));
        Assert.Equal(of64, PartitionHash.PartitionOf(guid, 64));
        Assert.Equal(of8, PartitionHash.PartitionOf(guid, 8));
    }

    [Fact]
    public void Hash_is_fnv1a_over_the_big_endian_bytes()
    {
        var random = new Random(20240120);
        for (var i = 0; i < 1000; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var key = new Guid(bytes, bigEndian: true);

            var expected = 14695981039346656037UL;
            foreach (var b in bytes)
            {
                expected = (expected ^ b) * 1099511628211UL;
            }

            Assert.Equal(expected, PartitionHash.Hash(key));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Partition_is_within_range(int partitionCount)
    {
        var random = new Random(partitionCount);
        for (var i = 0; i < 2000; i++)
        {
            var partition = PartitionHash.PartitionOf(RandomGuid(random), partitionCount);
            Assert.InRange(partition, 0, partitionCount - 1);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Partition_count_must_be_positive(int partitionCount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionHash.PartitionOf(Guid.NewGuid(), partitionCount));
    }

    [Fact]
    public void Random_trace_ids_spread_evenly_over_64_partitions()
    {
        // Seeded, so the test is the same every run: about 156 per partition expected.
        var random = new Random(42);
        var counts = new int[64];
        for (var i = 0; i < 10_000; i++)
        {
            counts[PartitionHash.PartitionOf(RandomGuid(random), 64)]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 100, 220));
    }

    [Fact]
    public void Time_ordered_entry_ids_spread_evenly_over_64_partitions()
    {
        // Standalone entries are keyed by their UUIDv7 id: ids made in the same few milliseconds share
        // most of their bytes, and must still not pile up on a few partitions.
        var random = new Random(7);
        var counts = new int[64];
        var start = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var millis = (ulong)start.AddMilliseconds(i / 10).ToUnixTimeMilliseconds();
            for (var b = 0; b < 6; b++)
            {
                bytes[b] = (byte)(millis >> (8 * (5 - b)));
            }

            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            counts[PartitionHash.PartitionOf(new Guid(bytes, bigEndian: true), 64)]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 100, 220));
    }

    private static Guid RandomGuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
