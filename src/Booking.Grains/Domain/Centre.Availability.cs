using System.Diagnostics.CodeAnalysis;

namespace Booking.Grains.Domain;

public sealed partial class Centre
{
    /// <summary>
    /// First-dose slots from <paramref name="from"/> to <paramref name="to"/> (local dates) that have
    /// a free seat and, for two-dose vaccines, a second-dose slot and dose to go with them (I6).
    /// Stock is per day, so the second-dose window is worked out once per day, not per slot.
    /// </summary>
    public IReadOnlyList<FirstDoseSlot> FirstDoseSlots(string vaccineId, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        var result = new List<FirstDoseSlot>();
        FirstDoseSlots(vaccineId, from, to, now, result);
        return result;
    }

    /// <summary><see cref="FirstDoseSlots(string, DateOnly, DateOnly, DateTimeOffset)"/> added to
    /// <paramref name="result"/>: a listing writer reuses one list rather than growing a new one for
    /// each of a city centre's thousand-slot weeks. Stops once <paramref name="result"/> holds
    /// <paramref name="limit"/> slots.</summary>
    public void FirstDoseSlots(string vaccineId, DateOnly from, DateOnly to, DateTimeOffset now, List<FirstDoseSlot> result, int limit = int.MaxValue)
    {
        if (!TryBookingDays(vaccineId, from, to, now, out var vaccine, out var stock, out var first, out var last))
        {
            return;
        }
        for (var date = first; date <= last; date = date.AddDays(1))
        {
            if (!IsBookableDay(vaccine, stock, date, out var secondDays))
            {
                continue;
            }
            // One window for the whole day: from the first free slot of the earliest second-dose
            // day to the last free slot of the latest.
            DateTimeOffset? earliest = null, latest = null;
            if (secondDays is { } window)
            {
                earliest = Calendar.StartOf(FirstFreeSlot(window.First)!.Value);
                latest = Calendar.StartOf(LastFreeSlot(window.Last)!.Value);
            }
            var day = Calendar.Day(date);
            var free = RemainingOn(date);
            for (var i = 0; i < day.Count; i++)
            {
                var remaining = free[i];
                if (remaining > 0 && day.Starts[i] > now)
                {
                    result.Add(new FirstDoseSlot(day.Starts[i], remaining, earliest, latest));
                    if (result.Count >= limit)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The bookable first-dose slots of the whole horizon, summed up per day: what searches and the
    /// public feed show. Counted in place rather than through <see cref="FirstDoseSlots"/>: every
    /// changed centre publishes this each second, and a listing of the horizon is thousands of slots.
    /// </summary>
    public IReadOnlyList<DaySummary> DailyAvailability(string vaccineId, DateTimeOffset now)
    {
        var result = new List<DaySummary>();
        DailyAvailability(vaccineId, now, result);
        return result;
    }

    /// <summary><see cref="DailyAvailability(string, DateTimeOffset)"/> added to <paramref name="result"/>,
    /// for a publisher that reuses one list.</summary>
    public void DailyAvailability(string vaccineId, DateTimeOffset now, List<DaySummary> result)
    {
        if (!TryBookingDays(vaccineId, DateOnly.MinValue, DateOnly.MaxValue, now, out var vaccine, out var stock, out var first, out var last))
        {
            return;
        }
        var length = TimeSpan.FromMinutes(Settings.SlotMinutes);
        for (var date = first; date <= last; date = date.AddDays(1))
        {
            if (!IsBookableDay(vaccine, stock, date, out _))
            {
                continue;
            }
            var day = Calendar.Day(date);
            var free = RemainingOn(date);
            int slots = 0, seats = 0, firstSlot = -1, lastSlot = -1;
            for (var i = 0; i < day.Count; i++)
            {
                var remaining = free[i];
                if (remaining > 0 && day.Starts[i] > now)
                {
                    slots++;
                    seats += remaining;
                    firstSlot = firstSlot < 0 ? i : firstSlot;
                    lastSlot = i;
                }
            }
            if (slots > 0)
            {
                result.Add(new DaySummary(date, day.Starts[firstSlot], day.Starts[lastSlot] + length, slots, seats));
            }
        }
    }

    /// <summary>The vaccine, its stock and the local dates from <paramref name="from"/> to
    /// <paramref name="to"/> that lie between today and the booking horizon; false if none can be booked.</summary>
    [MemberNotNullWhen(true, nameof(Settings))]
    private bool TryBookingDays(string vaccineId, DateOnly from, DateOnly to, DateTimeOffset now,
        [NotNullWhen(true)] out Vaccine? vaccine, [NotNullWhen(true)] out DoseTimeline? stock, out DateOnly first, out DateOnly last)
    {
        vaccine = null;
        stock = null;
        first = last = default;
        if (Settings is null || !Settings.Vaccines.Contains(vaccineId) || !_catalog.TryGet(vaccineId, out vaccine)
            || _stock.GetValueOrDefault(vaccineId) is not { } timeline)
        {
            return false;
        }
        stock = timeline;
        var today = Calendar.LocalDate(now);
        first = Max(from, today);
        last = Min(to, today.AddDays(Settings.BookingHorizonDays));
        return true;
    }

    /// <summary>Whether a first dose on <paramref name="date"/> has a dose and, for two-dose vaccines,
    /// a second dose that fits; then the earliest and latest days that second dose can be on.</summary>
    private bool IsBookableDay(Vaccine vaccine, DoseTimeline stock, DateOnly date, out (DateOnly First, DateOnly Last)? secondDays)
    {
        secondDays = null;
        if (!stock.Covers(date) || !stock.CanTake(date))
        {
            return false;
        }
        if (!vaccine.NeedsSecondDose)
        {
            return true;
        }
        // Only the ends of the window matter: search inwards from each end, not every day.
        if (SecondDoseDay(vaccine.MinIntervalDays, vaccine.MaxIntervalDays, stock, date, fromLatest: false) is not { } firstDay
            || SecondDoseDay(vaccine.MinIntervalDays, vaccine.MaxIntervalDays, stock, date, fromLatest: true) is not { } lastDay)
        {
            return false;
        }
        secondDays = (firstDay, lastDay);
        return true;
    }

    /// <summary>Second-dose slots that can go with a first dose at <paramref name="firstDose"/>.</summary>
    public IReadOnlyList<(DateTimeOffset Start, int Remaining)> SecondDoseSlots(string vaccineId, DateTimeOffset firstDose)
    {
        var result = new List<(DateTimeOffset, int)>();
        if (Settings is null || !_catalog.TryGet(vaccineId, out var vaccine) || !vaccine.NeedsSecondDose
            || _stock.GetValueOrDefault(vaccineId) is not { } stock || !Calendar.TryFind(firstDose, out var first))
        {
            return result;
        }
        foreach (var date in SecondDoseDays(vaccine.MinIntervalDays, vaccine.MaxIntervalDays, stock, first.Date))
        {
            var day = Calendar.Day(date);
            var free = RemainingOn(date);
            for (var i = 0; i < day.Count; i++)
            {
                var remaining = free[i];
                if (remaining > 0)
                {
                    result.Add((day.Starts[i], remaining));
                }
            }
        }
        return result;
    }

    /// <summary>Days inside the interval that have a free seat and where both doses fit the stock.</summary>
    private IEnumerable<DateOnly> SecondDoseDays(int minDays, int maxDays, DoseTimeline stock, DateOnly first)
    {
        for (var d = minDays; d <= maxDays; d++)
        {
            var date = first.AddDays(d);
            if (FitsSecondDose(stock, first, date))
            {
                yield return date;
            }
        }
    }

    /// <summary>The earliest (or latest) day of the window where a second dose fits, if any.</summary>
    private DateOnly? SecondDoseDay(int minDays, int maxDays, DoseTimeline stock, DateOnly first, bool fromLatest)
    {
        for (var i = 0; i <= maxDays - minDays; i++)
        {
            var date = first.AddDays(fromLatest ? maxDays - i : minDays + i);
            if (FitsSecondDose(stock, first, date))
            {
                return date;
            }
        }
        return null;
    }

    /// <summary>A second dose on <paramref name="date"/> has a free seat, and both doses fit the stock.</summary>
    private bool FitsSecondDose(DoseTimeline stock, DateOnly first, DateOnly date) =>
        stock.Covers(date) && HasFreeSeat(date) && stock.CanTakePair(first, date);

    /// <summary>The earliest future slot from <paramref name="from"/> to <paramref name="to"/> with a seat and a dose.</summary>
    private SlotRef? EarliestSingleDose(DoseTimeline stock, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        for (var date = from; date <= to; date = date.AddDays(1))
        {
            if (!stock.Covers(date) || !HasFreeSeat(date) || !stock.CanTake(date))
            {
                continue;
            }
            var day = Calendar.Day(date);
            var free = RemainingOn(date);
            for (var i = 0; i < day.Count; i++)
            {
                if (day.Starts[i] > now && free[i] > 0)
                {
                    return new SlotRef(date, i);
                }
            }
        }
        return null;
    }

    private bool HasFreeSeat(DateOnly date)
    {
        var capacity = Calendar.Day(date).Count * Calendar.Capacity;
        return _seats.TryGetValue(date.DayNumber, out var seats) ? seats.Total < capacity : capacity > 0;
    }

    private SlotRef? FirstFreeSlot(DateOnly date)
    {
        var day = Calendar.Day(date);
        var free = RemainingOn(date);
        for (var i = 0; i < day.Count; i++)
        {
            if (free[i] > 0)
            {
                return new SlotRef(date, i);
            }
        }
        return null;
    }

    private SlotRef? LastFreeSlot(DateOnly date)
    {
        var day = Calendar.Day(date);
        var free = RemainingOn(date);
        for (var i = day.Count - 1; i >= 0; i--)
        {
            if (free[i] > 0)
            {
                return new SlotRef(date, i);
            }
        }
        return null;
    }

    /// <summary>The free slot whose local time of day is nearest <paramref name="timeOfDay"/>; the earlier one on a tie.</summary>
    private SlotRef? ClosestFreeSlot(DateOnly date, TimeSpan timeOfDay)
    {
        var day = Calendar.Day(date);
        var free = RemainingOn(date);
        SlotRef? best = null;
        var bestDistance = TimeSpan.MaxValue;
        for (var i = 0; i < day.Count; i++)
        {
            if (free[i] <= 0)
            {
                continue;
            }
            var distance = (day.Starts[i].TimeOfDay - timeOfDay).Duration();
            if (distance < bestDistance)
            {
                best = new SlotRef(date, i);
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>The free seats of each slot of <paramref name="date"/>, with the day's seat counts found
    /// once rather than once per slot: listings and publication walk thousands of slots.</summary>
    private DayRemaining RemainingOn(DateOnly date) => new(Calendar.Capacity, TakenOn(date));

    /// <summary>Free seats by slot index, for one day: the calendar's capacity less the seats taken.</summary>
    private readonly struct DayRemaining(int capacity, int[]? taken)
    {
        public int this[int slot] => capacity - (taken is null ? 0 : taken[slot]);
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}

/// <summary>One day of bookable first-dose slots (I6 holds for each) for one vaccine.</summary>
public readonly record struct DaySummary(DateOnly Date, DateTimeOffset FirstStart, DateTimeOffset LastEnd, int Slots, int Seats);
