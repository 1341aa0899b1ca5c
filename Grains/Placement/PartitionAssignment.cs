using System.Text;

namespace Argus.Grains.Placement;

/// <summary>
/// Which silo owns each partition, given the active silos: rendezvous hashing with balanced
/// load. Every (partition, silo) pair has a score, a hash of both; taking pairs from the highest
/// score down, a partition goes to the silo of its pair unless it already has an owner or that
/// silo has its share (<c>P / silos</c>, the remainder spread one each over the silos that hash
/// first). The result depends only on the set of silos, never on their order or on who computes
/// it, so the placement director and every silo's balancer agree without talking; every silo owns
/// <c>floor(P / silos)</c> or <c>ceil(P / silos)</c>; and a silo joining or leaving moves mostly
/// the partitions that score it highest.
/// </summary>
public static class PartitionAssignment
{
    /// <summary>For each partition, the index in <paramref name="silos"/> of its owner.</summary>
    public static int[] Assign(int partitionCount, IReadOnlyList<string> silos)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        if (silos.Count == 0)
        {
            throw new ArgumentException("no silo to assign partitions to", nameof(silos));
        }

        var hashes = silos.Select(Hash).ToArray();

        // Shares: everyone floor(P / n), plus one for the first (P mod n) silos in hash order.
        var share = new int[silos.Count];
        var byHash = Enumerable.Range(0, silos.Count).OrderBy(i => hashes[i]).ThenBy(i => silos[i], StringComparer.Ordinal).ToArray();
        for (var rank = 0; rank < byHash.Length; rank++)
        {
            share[byHash[rank]] = partitionCount / silos.Count + (rank < partitionCount % silos.Count ? 1 : 0);
        }

        var pairs = new (ulong Score, int Partition, int Silo)[partitionCount * silos.Count];
        for (var partition = 0; partition < partitionCount; partition++)
        {
            var salt = Mix((ulong)partition + 1);
            for (var silo = 0; silo < silos.Count; silo++)
            {
                pairs[partition * silos.Count + silo] = (Mix(hashes[silo] ^ salt), partition, silo);
            }
        }

        // Highest score first; equal scores (practically never) by partition and name, so input order cannot matter.
        Array.Sort(pairs, (a, b) =>
            a.Score != b.Score ? b.Score.CompareTo(a.Score)
            : a.Partition != b.Partition ? a.Partition.CompareTo(b.Partition)
            : string.CompareOrdinal(silos[a.Silo], silos[b.Silo]));
        var owners = new int[partitionCount];
        Array.Fill(owners, -1);
        var assigned = 0;
        foreach (var (_, partition, silo) in pairs)
        {
            if (owners[partition] < 0 && share[silo] > 0)
            {
                owners[partition] = silo;
                share[silo]--;
                if (++assigned == partitionCount)
                {
                    break;
                }
            }
        }

        return owners;
    }

    /// <summary>The owner of one partition: the index in <paramref name="silos"/>.</summary>
    public static int OwnerOf(int partition, int partitionCount, IReadOnlyList<string> silos) => Assign(partitionCount, silos)[partition];

    /// <summary>FNV-1a over the silo's name: the same in every process and version.</summary>
    private static ulong Hash(string silo)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(silo))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The SplitMix64 finaliser: spreads close inputs (partition numbers, similar names) over the whole range.</summary>
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
