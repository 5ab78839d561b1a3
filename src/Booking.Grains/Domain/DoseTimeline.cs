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
    /// <summary>About five and a half years of days: long enough for any campaign, small enough
    /// (tens of kilobytes) to keep one per vaccine for every centre of a country in memory.</summary>
    public const int WindowDays = 2048;

    private readonly PrefixMinTree _slack = new(WindowDays);
    private readonly int[] _delivered = new int[WindowDays];
    private readonly int[] _booked = new int[WindowDays];

    public DoseTimeline(DateOnly origin) => Origin = origin;

    /// <summary>The first day of the window; deliveries dated earlier count from this day.</summary>
    public DateOnly Origin { get; }

    public DateOnly End => Origin.AddDays(WindowDays - 1);

    public bool Covers(DateOnly day) => day >= Origin && day <= End;

    public void AddDelivered(DateOnly day, int doses)
    {
        var i = Offset(day < Origin ? Origin : day);
        _delivered[i] += doses;
        _slack.Add(i, doses);
    }

    public void AddBooked(DateOnly day, int doses)
    {
        var i = Offset(day);
        _booked[i] += doses;
        _slack.Add(i, -doses);
    }

    public int DeliveredOn(DateOnly day) => _delivered[Offset(day)];

    public int BookedOn(DateOnly day) => _booked[Offset(day)];

    /// <summary>How many more appointments day <paramref name="day"/> can take without any later
    /// day running short.</summary>
    public long AvailableFrom(DateOnly day) => _slack.MinPrefix(Offset(day), WindowDays - 1);

    /// <summary>Smallest slack over the days from <paramref name="day"/> onwards, but only up to the day before <paramref name="until"/>.</summary>
    public long AvailableBetween(DateOnly day, DateOnly until) => _slack.MinPrefix(Offset(day), Offset(until) - 1);

    /// <summary>Whether two more appointments, on <paramref name="first"/> and on the later day
    /// <paramref name="second"/>, keep every day covered.</summary>
    public bool CanTakePair(DateOnly first, DateOnly second) =>
        AvailableBetween(first, second) >= 1 && AvailableFrom(second) >= 2;

    public bool CanTake(DateOnly day) => AvailableFrom(day) >= 1;

    /// <summary>The first day whose cumulative appointments exceed cumulative deliveries, if any.</summary>
    public DateOnly? FirstShortDay()
    {
        if (_slack.MinPrefix(0, WindowDays - 1) >= 0)
        {
            return null;
        }
        var lo = 0;
        var hi = WindowDays - 1;
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
