namespace Booking.Grains.Domain;

/// <summary>
/// Point updates on a sequence of per-day deltas, and the smallest running total (prefix sum)
/// over any range of days, both in O(log n). Each node keeps the sum of its range and the
/// smallest prefix sum inside it, which is all a parent needs to combine its two halves.
/// </summary>
public sealed class PrefixMinTree
{
    private readonly int _leaves;
    private readonly long[] _sum;
    private readonly long[] _minPrefix;

    public PrefixMinTree(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        _leaves = 1;
        while (_leaves < length)
        {
            _leaves <<= 1;
        }
        Length = length;
        _sum = new long[2 * _leaves];
        _minPrefix = new long[2 * _leaves];
    }

    public int Length { get; }

    public void Add(int index, long delta)
    {
        var node = _leaves + index;
        _sum[node] += delta;
        _minPrefix[node] = _sum[node];
        for (node >>= 1; node >= 1; node >>= 1)
        {
            var left = 2 * node;
            var right = left + 1;
            _sum[node] = _sum[left] + _sum[right];
            _minPrefix[node] = Math.Min(_minPrefix[left], _sum[left] + _minPrefix[right]);
        }
    }

    /// <summary>Sum of the deltas at positions 0..index inclusive.</summary>
    public long PrefixSum(int index)
    {
        long total = 0;
        // Sum of the leaves in [lo, hi), climbing one level per step.
        for (int lo = _leaves, hi = _leaves + index + 1; lo < hi; lo >>= 1, hi >>= 1)
        {
            if ((lo & 1) == 1)
            {
                total += _sum[lo++];
            }
            if ((hi & 1) == 1)
            {
                total += _sum[--hi];
            }
        }
        return total;
    }

    /// <summary>min over d in [from, to] of PrefixSum(d).</summary>
    public long MinPrefix(int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        var before = from == 0 ? 0 : PrefixSum(from - 1);
        var (_, min) = Query(1, 0, _leaves - 1, from, to);
        return before + min;
    }

    private (long Sum, long MinPrefix) Query(int node, int lo, int hi, int from, int to)
    {
        if (from <= lo && hi <= to)
        {
            return (_sum[node], _minPrefix[node]);
        }
        var mid = (lo + hi) / 2;
        if (to <= mid)
        {
            return Query(2 * node, lo, mid, from, to);
        }
        if (from > mid)
        {
            return Query(2 * node + 1, mid + 1, hi, from, to);
        }
        var left = Query(2 * node, lo, mid, from, to);
        var right = Query(2 * node + 1, mid + 1, hi, from, to);
        return (left.Sum + right.Sum, Math.Min(left.MinPrefix, left.Sum + right.MinPrefix));
    }
}
