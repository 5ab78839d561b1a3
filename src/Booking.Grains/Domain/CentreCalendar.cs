namespace Booking.Grains.Domain;

/// <summary>A slot on a centre's calendar: its local date and its position in that day.</summary>
public readonly record struct SlotRef(DateOnly Date, int Index);

/// <summary>The slots of one local date, in time order.</summary>
public sealed class DaySlots
{
    internal DaySlots(DateOnly date, DateTimeOffset[] starts)
    {
        Date = date;
        Starts = starts;
        UtcTicks = Array.ConvertAll(starts, s => s.UtcTicks);
    }

    public DateOnly Date { get; }

    /// <summary>Slot starts with the centre's UTC offset of that moment.</summary>
    public IReadOnlyList<DateTimeOffset> Starts { get; }

    internal long[] UtcTicks { get; }

    public int Count => UtcTicks.Length;

    public int IndexOf(long utcTicks) => Array.BinarySearch(UtcTicks, utcTicks);
}

/// <summary>
/// Turns a centre's weekly opening hours into concrete slots in its IANA time zone.
/// Slots follow the wall clock: a local start that does not exist (the hour skipped in spring)
/// is not offered, and a local start that occurs twice (the hour repeated in autumn) is offered
/// once, at its first occurrence. A day therefore never holds two slots at the same wall-clock
/// time, and the number of slots on such a day is what the tests pin down.
/// </summary>
public sealed class CentreCalendar
{
    private readonly CentreSettings _settings;
    private readonly HashSet<DateOnly> _closed;
    private readonly Dictionary<int, DaySlots> _days = new();

    public CentreCalendar(CentreSettings settings)
    {
        _settings = settings;
        Zone = TimeZoneInfo.FindSystemTimeZoneById(settings.TimeZone);
        _closed = settings.ClosedDates.ToHashSet();
    }

    public TimeZoneInfo Zone { get; }

    public int Capacity => _settings.Lines;

    public DateOnly LocalDate(DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    public DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    public DaySlots Day(DateOnly date)
    {
        if (!_days.TryGetValue(date.DayNumber, out var day))
        {
            day = new DaySlots(date, BuildStarts(date));
            _days[date.DayNumber] = day;
        }
        return day;
    }

    public DateTimeOffset StartOf(SlotRef slot) => Day(slot.Date).Starts[slot.Index];

    /// <summary>Finds the slot that starts at exactly this instant, whatever offset it is written with.</summary>
    public bool TryFind(DateTimeOffset start, out SlotRef slot)
    {
        var date = LocalDate(start);
        var index = Day(date).IndexOf(start.UtcTicks);
        slot = new SlotRef(date, index);
        return index >= 0;
    }

    private DateTimeOffset[] BuildStarts(DateOnly date)
    {
        if (_closed.Contains(date))
        {
            return [];
        }
        var steady = SteadyOffset(date);
        var starts = new List<DateTimeOffset>();
        var step = TimeSpan.FromMinutes(_settings.SlotMinutes);
        foreach (var hours in _settings.OpeningHours.Where(h => h.Day == date.DayOfWeek).OrderBy(h => h.Open))
        {
            var close = hours.Close.ToTimeSpan();
            for (var t = hours.Open.ToTimeSpan(); t + step <= close; t += step)
            {
                var local = date.ToDateTime(TimeOnly.FromTimeSpan(t), DateTimeKind.Unspecified);
                if (steady is { } offset)
                {
                    starts.Add(new DateTimeOffset(local, offset));
                }
                else if (!Zone.IsInvalidTime(local))
                {
                    starts.Add(new DateTimeOffset(local, FirstOffset(local)));
                }
            }
        }
        // Periods that do not overlap (the settings' rule) give starts already in order. When two
        // wall-clock starts are one instant (overlapping periods, or a zone whose rules the system
        // reads without a gap), the earlier wall-clock time stays: the sort must be stable.
        return IsStrictlyAscending(starts)
            ? starts.ToArray()
            : starts.OrderBy(s => s.UtcTicks).DistinctBy(s => s.UtcTicks).ToArray();
    }

    private static bool IsStrictlyAscending(List<DateTimeOffset> starts)
    {
        for (var i = 1; i < starts.Count; i++)
        {
            if (starts[i].UtcTicks <= starts[i - 1].UtcTicks)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The day's one UTC offset when its clocks do not change: both of its midnights exist once and
    /// have the same offset (no zone changes its clocks twice within a day). Most days are like
    /// that, and they then need no zone look-up per slot, which made up most of the cost of
    /// building calendars when every centre activates after a restart.
    /// </summary>
    private TimeSpan? SteadyOffset(DateOnly date)
    {
        var start = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var end = start.AddDays(1);
        if (Zone.IsInvalidTime(start) || Zone.IsAmbiguousTime(start) || Zone.IsInvalidTime(end) || Zone.IsAmbiguousTime(end))
        {
            return null;
        }
        var offset = Zone.GetUtcOffset(start);
        return Zone.GetUtcOffset(end) == offset ? offset : null;
    }

    /// <summary>For a wall-clock time that occurs twice, the first occurrence has the larger offset.</summary>
    private TimeSpan FirstOffset(DateTime local) =>
        Zone.IsAmbiguousTime(local) ? Zone.GetAmbiguousTimeOffsets(local).Max() : Zone.GetUtcOffset(local);
}
