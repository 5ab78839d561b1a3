using Booking.Grains.Domain;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Domain.Tests;

/// <summary>PrefixMinTree against a plain array of deltas.</summary>
public class PrefixMinTreeProperties
{
    public sealed record Case(int Length, (int Index, int Delta)[] Adds)
    {
        public override string ToString() =>
            $"Length {Length}, adds [{string.Join(", ", Adds.Select(a => $"{a.Index}:{a.Delta:+0;-0;0}"))}]";
    }

    /// <summary>Lengths up to 70, with powers of two (where the tree has no padding) drawn often.</summary>
    private static readonly Arbitrary<Case> Cases = Gen.OneOf(Gen.Choose(1, 70), Gen.Elements(1, 2, 4, 8, 16, 32, 64))
        .SelectMany(length => Gen.Zip(Gen.Choose(0, length - 1), Gen.Choose(-6, 6))
            .ArrayOf()
            .Select(adds => new Case(length, adds.Select(a => (a.Item1, a.Item2)).ToArray())))
        .ToArbitrary();

    private static (PrefixMinTree Tree, long[] Prefix) Build(Case c)
    {
        var tree = new PrefixMinTree(c.Length);
        var deltas = new long[c.Length];
        foreach (var (index, delta) in c.Adds)
        {
            tree.Add(index, delta);
            deltas[index] += delta;
        }
        var prefix = new long[c.Length];
        long running = 0;
        for (var i = 0; i < c.Length; i++)
        {
            running += deltas[i];
            prefix[i] = running;
        }
        return (tree, prefix);
    }

    [Property(MaxTest = 300)]
    public Property MinPrefix_is_the_smallest_running_total_in_the_range() =>
        Prop.ForAll(Cases, c =>
        {
            var (tree, prefix) = Build(c);
            for (var from = 0; from < c.Length; from++)
            {
                for (var to = from; to < c.Length; to++)
                {
                    var expected = prefix[from..(to + 1)].Min();
                    Assert.True(expected == tree.MinPrefix(from, to), $"MinPrefix({from}, {to}) = {tree.MinPrefix(from, to)}, expected {expected}");
                }
            }
        });

    [Property(MaxTest = 300)]
    public Property PrefixSum_is_the_running_total() =>
        Prop.ForAll(Cases, c =>
        {
            var (tree, prefix) = Build(c);
            for (var i = 0; i < c.Length; i++)
            {
                Assert.True(prefix[i] == tree.PrefixSum(i), $"PrefixSum({i}) = {tree.PrefixSum(i)}, expected {prefix[i]}");
            }
        });
}
