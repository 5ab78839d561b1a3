using System.Numerics;

namespace Booking.Grains.Domain;

/// <summary>
/// One vaccine's stock at one centre over a window of days. Unused doses carry forward, so the
/// rule (I2) is: for every day D, doses delivered up to D minus appointments up to D ≥ 0.
/// That running "slack" lives in a <see cref="PrefixMinTree"/>: a delivery adds at its day, an
/// appointment subtracts at its day, and a new appointment on day d is possible exactly when the
/// smallest slack from d onwards is at least one.
/// </summary>
public sealed class DoseTimeline
{
    /// <summary>About five and a half years of days: long enough for any campaign.</summary>
    public const int WindowDays = 2048;

    /// <summary>Days kept from the start: a horizon of weeks plus a second-dose interval fits, and a
    /// country's centres then hold kilobytes each instead of the whole window's 80 KB.</summary>
    internal const int InitialDays = 128;

    // Only the days up to the last one touched are stored; every later day has the same slack as
    // that one, since nothing is added or taken after it. The arrays double when a later day is touched.
    private PrefixMinTree _slack = new(InitialDays);
    private int[] _delivered = new int[InitialDays];
    private int[] _booked = new int[InitialDays];

    public DoseTimeline(DateOnly origin) => Origin = origin;

    /// <summary>The first day of the window; deliveries dated earlier count from this day.</summary>
    public DateOnly Origin { get; }

    public DateOnly End => Origin.AddDays(WindowDays - 1);

    /// <summary>Days stored so far, from <see cref="Origin"/>.</summary>
    internal int StoredDays => _delivered.Length;

    public bool Covers(DateOnly day) => day >= Origin && day <= End;

    public void AddDelivered(DateOnly day, int doses)
    {
        var i = Store(Offset(day < Origin ? Origin : day));
        _delivered[i] += doses;
        _slack.Add(i, doses);
    }

    public void AddBooked(DateOnly day, int doses)
    {
        var i = Store(Offset(day));
        _booked[i] += doses;
        _slack.Add(i, -doses);
    }

    public int DeliveredOn(DateOnly day) => Offset(day) is var i && i < StoredDays ? _delivered[i] : 0;

    public int BookedOn(DateOnly day) => Offset(day) is var i && i < StoredDays ? _booked[i] : 0;

    /// <summary>How many more appointments day <paramref name="day"/> can take without any later
    /// day running short.</summary>
    public long AvailableFrom(DateOnly day) => MinSlack(Offset(day), WindowDays - 1);

    /// <summary>Smallest slack over the days from <paramref name="day"/> onwards, but only up to the day before <paramref name="until"/>.</summary>
    public long AvailableBetween(DateOnly day, DateOnly until) => MinSlack(Offset(day), Offset(until) - 1);

    /// <summary>Whether two more appointments, on <paramref name="first"/> and on the later day
    /// <paramref name="second"/>, keep every day covered.</summary>
    public bool CanTakePair(DateOnly first, DateOnly second) =>
        AvailableBetween(first, second) >= 1 && AvailableFrom(second) >= 2;

    public bool CanTake(DateOnly day) => AvailableFrom(day) >= 1;

    /// <summary>The first day whose cumulative appointments exceed cumulative deliveries, if any.</summary>
    public DateOnly? FirstShortDay()
    {
        if (_slack.MinPrefix(0, StoredDays - 1) >= 0)
        {
            return null;
        }
        var lo = 0;
        var hi = StoredDays - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_slack.MinPrefix(0, mid) < 0)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        return Origin.AddDays(lo);
    }

    /// <summary>The smallest slack over the days <paramref name="from"/>..<paramref name="to"/>: days
    /// beyond those stored all have the last stored day's slack.</summary>
    private long MinSlack(int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        var last = StoredDays - 1;
        return from > last ? _slack.PrefixSum(last) : _slack.MinPrefix(from, Math.Min(to, last));
    }

    /// <summary>Makes room for day <paramref name="i"/>, rebuilding the tree from the per-day counts.</summary>
    private int Store(int i)
    {
        if (i >= StoredDays)
        {
            var days = (int)Math.Min(WindowDays, BitOperations.RoundUpToPowerOf2((uint)i + 1));
            Array.Resize(ref _delivered, days);
            Array.Resize(ref _booked, days);
            _slack = new PrefixMinTree(days);
            for (var d = 0; d < days; d++)
            {
                if (_delivered[d] != _booked[d])
                {
                    _slack.Add(d, _delivered[d] - _booked[d]);
                }
            }
        }
        return i;
    }

    private int Offset(DateOnly day)
    {
        var i = day.DayNumber - Origin.DayNumber;
        if (i < 0 || i >= WindowDays)
        {
            throw new ArgumentOutOfRangeException(nameof(day), day, "The day is outside the stock window.");
        }
        return i;
    }
}
