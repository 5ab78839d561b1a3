using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

public class PrefixMinTreeTests
{
    [Fact]
    public void A_new_tree_is_all_zeros()
    {
        var tree = new PrefixMinTree(5);

        Assert.Equal(5, tree.Length);
        Assert.Equal(0, tree.PrefixSum(4));
        Assert.Equal(0, tree.MinPrefix(0, 4));
        Assert.Equal(0, tree.MinPrefix(2, 3));
    }

    [Fact]
    public void Prefix_sums_and_minimum_prefix_over_a_range()
    {
        // deltas:        3  -2  -4   5  -1   2
        // prefix sums:   3   1  -3   2   1   3
        var tree = new PrefixMinTree(6);
        long[] deltas = [3, -2, -4, 5, -1, 2];
        for (var i = 0; i < deltas.Length; i++)
        {
            tree.Add(i, deltas[i]);
        }

        Assert.Equal([3L, 1, -3, 2, 1, 3], Enumerable.Range(0, 6).Select(tree.PrefixSum));
        Assert.Equal(-3, tree.MinPrefix(0, 5));
        Assert.Equal(1, tree.MinPrefix(0, 1));
        Assert.Equal(3, tree.MinPrefix(0, 0));
        Assert.Equal(1, tree.MinPrefix(3, 5));
        Assert.Equal(2, tree.MinPrefix(3, 3));
        Assert.Equal(3, tree.MinPrefix(5, 5));
        Assert.Equal(-3, tree.MinPrefix(2, 2));
    }

    [Fact]
    public void Adds_accumulate_at_a_position()
    {
        var tree = new PrefixMinTree(3);
        tree.Add(1, 4);
        tree.Add(1, -6);
        tree.Add(0, 1);

        Assert.Equal(1, tree.PrefixSum(0));
        Assert.Equal(-1, tree.PrefixSum(1));
        Assert.Equal(-1, tree.MinPrefix(0, 2));
        Assert.Equal(1, tree.MinPrefix(0, 0));
    }

    [Fact]
    public void The_minimum_counts_every_delta_before_the_range()
    {
        var tree = new PrefixMinTree(10);
        tree.Add(0, 10);
        tree.Add(7, -3);

        Assert.Equal(7, tree.MinPrefix(5, 9));
        Assert.Equal(10, tree.MinPrefix(5, 6));
        Assert.Equal(7, tree.MinPrefix(9, 9));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(2048)]
    public void Prefix_sum_of_the_whole_sequence_when_the_length_is_a_power_of_two(int length)
    {
        // Regression: PrefixSum used to climb from the leftmost leaf without ever adding a left
        // boundary node, so a prefix spanning every leaf (only the root covers it) came back as 0.
        var tree = new PrefixMinTree(length);
        for (var i = 0; i < length; i++)
        {
            tree.Add(i, 1);
        }

        Assert.Equal(length, tree.PrefixSum(length - 1));
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PrefixMinTree(0));
        var tree = new PrefixMinTree(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.MinPrefix(3, 2));
    }
}
