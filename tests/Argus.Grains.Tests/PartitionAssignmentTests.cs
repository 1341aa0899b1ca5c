using Argus.Grains.Placement;

namespace Argus.Grains.Tests;

/// <summary>The assignment that the placement director and every silo's balancer compute alike.</summary>
public sealed class PartitionAssignmentTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 12, 1 }, { 12, 2 }, { 12, 3 }, { 12, 5 }, { 24, 7 }, { 64, 3 }, { 64, 4 }, { 64, 100 }, { 4096, 9 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_partition_has_one_owner_and_every_silo_its_share(int partitions, int silos)
    {
        var names = Silos(silos, seed: partitions);
        var owners = PartitionAssignment.Assign(partitions, names);

        Assert.Equal(partitions, owners.Length);
        Assert.All(owners, o => Assert.InRange(o, 0, silos - 1));
        var loads = Enumerable.Range(0, silos).Select(s => owners.Count(o => o == s));
        Assert.All(loads, load => Assert.InRange(load, partitions / silos, (partitions + silos - 1) / silos));
    }

    [Fact]
    public void The_assignment_depends_on_the_set_of_silos_not_on_their_order()
    {
        var names = Silos(5, seed: 1);
        var expected = Named(64, names);
        for (var shuffle = 0; shuffle < 20; shuffle++)
        {
            var shuffled = names.ToArray();
            new Random(shuffle).Shuffle(shuffled);
            Assert.Equal(expected, Named(64, shuffled));
        }
    }

    [Theory]
    [InlineData(12, 2)]
    [InlineData(64, 2)]
    [InlineData(64, 3)]
    [InlineData(64, 6)]
    [InlineData(256, 4)]
    public void A_silo_joining_takes_its_share_and_moves_little_else(int partitions, int silos)
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var before = Silos(silos, seed);
            var after = before.Append($"10.99.{seed}.1:11111@{seed}").ToList();
            var was = Named(partitions, before);
            var now = Named(partitions, after);

            var taken = now.Count(owner => owner == after[^1]);
            var moved = Enumerable.Range(0, partitions).Count(p => was[p] != now[p]);
            Assert.InRange(taken, partitions / after.Count, (partitions + after.Count - 1) / after.Count);

            // Partitions also move between the silos that were there (the load bound pushes some), but
            // at most as many again as the newcomer takes.
            Assert.True(moved <= 2 * taken, $"seed {seed}: {moved} partitions moved for {taken} taken by the new silo");
        }
    }

    [Fact]
    public void A_silo_leaving_hands_its_partitions_over_and_the_others_keep_most_of_theirs()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var before = Silos(4, seed);
            var after = before.Take(3).ToList();
            var was = Named(64, before);
            var now = Named(64, after);

            var orphaned = was.Count(owner => owner == before[3]);
            var moved = Enumerable.Range(0, 64).Count(p => was[p] != now[p]);
            Assert.True(moved <= 2 * orphaned, $"seed {seed}: {moved} partitions moved for {orphaned} orphaned");
        }
    }

    private static string[] Named(int partitions, IReadOnlyList<string> silos) =>
        PartitionAssignment.Assign(partitions, silos).Select(i => silos[i]).ToArray();

    /// <summary>Silo addresses as Orleans writes them: ip:port@generation.</summary>
    private static List<string> Silos(int count, int seed) =>
        Enumerable.Range(0, count).Select(i => $"10.{seed % 250}.{i / 250}.{i % 250}:11111@{1_000_000 + seed * 31 + i}").ToList();
}
