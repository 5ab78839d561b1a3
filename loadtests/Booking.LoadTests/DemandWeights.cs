namespace Booking.LoadTests;

/// <summary>Draws centres at random in proportion to their share of the demand (<see cref="SeededCentre.Weight"/>).</summary>
public sealed class DemandWeights
{
    private readonly double[] _cumulative;

    public DemandWeights(IReadOnlyList<SeededCentre> centres)
    {
        _cumulative = new double[centres.Count];
        var sum = 0.0;
        for (var i = 0; i < _cumulative.Length; i++)
        {
            sum += centres[i].Weight;
            _cumulative[i] = sum;
        }
    }

    /// <summary>The index of a centre, drawn by weight.</summary>
    public int Pick()
    {
        var u = Random.Shared.NextDouble() * _cumulative[^1];
        var i = Array.BinarySearch(_cumulative, u);
        return Math.Min(i < 0 ? ~i : i, _cumulative.Length - 1);
    }
}
