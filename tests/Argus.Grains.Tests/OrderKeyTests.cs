using Argus.Grains.Abstractions.Querying;

namespace Argus.Grains.Tests;

/// <summary>Silos merge pages in memory; their order must be exactly the one Postgres pages in.</summary>
public sealed class OrderKeyTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task Keys_sort_exactly_as_Postgres_orders_occurred_at_desc_id_desc()
    {
        var random = new Random(7);
        var keys = Enumerable.Range(0, 2000).Select(i =>
        {
            Span<byte> id = stackalloc byte[16];
            random.NextBytes(id);
            // Few timestamps, so ids decide most of the order; some ids differ only in one byte, high or low.
            if (i % 3 == 0)
            {
                id[..8].Clear();
            }

            return new OrderKey(1_700_000_000_000_000 + (i % 5), new Guid(id, bigEndian: true));
        }).ToList();

        var sorted = keys.Order().Select(k => k.Id).ToArray();
        var postgres = await db.Database.ScalarAsync<Guid[]>(
            "SELECT array_agg(id ORDER BY t DESC, id DESC) FROM unnest($1::timestamptz[], $2::uuid[]) AS k(t, id)",
            keys.Select(k => k.UtcTime).ToArray(), keys.Select(k => k.Id).ToArray());

        Assert.Equal(postgres, sorted);
    }

    [Fact]
    public void A_key_keeps_its_timestamp_to_the_microsecond()
    {
        var time = new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc).AddTicks(9_999_990);

        Assert.Equal(time, OrderKey.Of(time, Guid.Empty).UtcTime);
        Assert.Equal(new DateTime(1969, 7, 20, 20, 17, 40, DateTimeKind.Utc), OrderKey.Of(new DateTime(1969, 7, 20, 20, 17, 40, DateTimeKind.Utc), Guid.Empty).UtcTime);
    }
}
