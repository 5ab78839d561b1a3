using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

/// <summary>What a decision should come to: a refusal (reason, and field for Invalid) or the appointments booked.</summary>
internal sealed record Outcome(RefusalReason? Reason, string? Field, IReadOnlyList<DateTimeOffset>? Appointments)
{
    public static Outcome Accept(params DateTimeOffset[] appointments) => new(null, null, appointments);

    public static Outcome Refuse(RefusalReason reason) => new(reason, null, null);

    public static Outcome Invalid(string field) => new(RefusalReason.Invalid, field, null);

    public override string ToString() => Reason is { } r
        ? $"{r}{(Field is null ? "" : $"({Field})")}"
        : $"accept [{string.Join(", ", T.Iso(Appointments!))}]";
}

internal sealed record ModelBooking(string Reference, string Identity, string Vaccine, IReadOnlyList<DateTimeOffset> Starts,
    IReadOnlyList<DateOnly> Days)
{
    public bool Active { get; set; } = true;

    /// <summary>When it was cancelled: injections given before then keep their seat and dose.</summary>
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>The appointments that hold a seat and a dose: all while active, the ones already given once cancelled.</summary>
    public IEnumerable<(DateTimeOffset Start, DateOnly Day)> Holding =>
        Starts.Zip(Days).Where(a => Active || a.First <= CancelledAt);
}

/// <summary>
/// A brute-force reference model of one centre, written to be obviously right rather than fast:
/// plain lists of deliveries and bookings, and every answer recomputed by scanning them. Its
/// calendar walks the wall clock and asks the time zone which instants show that time; seats are
/// counted by scanning bookings; stock holds when, for every day, cumulative usable deliveries minus
/// cumulative appointments stays at or above zero. Decisions check the conditions in the order the
/// engine uses (vaccine, identity, first-dose slot, second-dose slot and interval, seats, stock, second dose).
/// </summary>
internal sealed class CentreModel(CentreSettings settings, VaccineCatalog catalog, DateOnly stockOrigin)
{
    private readonly Dictionary<DateOnly, List<DateTimeOffset>> _slots = new();

    // Answers remembered until the next fact; they only save recomputing the same scan.
    private readonly Dictionary<string, (DateOnly From, long[] Slack)> _slack = new(StringComparer.Ordinal);
    private Dictionary<long, int>? _taken;
    private readonly List<Delivery> _deliveries = [];
    private readonly List<ModelBooking> _bookings = [];

    public CentreSettings Settings { get; } = settings;

    public VaccineCatalog Catalog { get; } = catalog;

    public DateOnly StockOrigin { get; } = stockOrigin;

    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(settings.TimeZone);

    public IReadOnlyList<Delivery> Deliveries => _deliveries;

    public IReadOnlyList<ModelBooking> Bookings => _bookings;

    // ---- calendar ------------------------------------------------------------------------------

    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    public TimeSpan LocalTimeOfDay(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone).TimeOfDay;

    /// <summary>Slot starts of a local date, in time order, each written with the zone's offset at that instant.</summary>
    public IReadOnlyList<DateTimeOffset> SlotsOn(DateOnly date)
    {
        if (!_slots.TryGetValue(date, out var slots))
        {
            slots = [];
            if (!Settings.ClosedDates.Contains(date))
            {
                var length = TimeSpan.FromMinutes(Settings.SlotMinutes);
                foreach (var period in Settings.OpeningHours.Where(h => h.Day == date.DayOfWeek))
                {
                    for (var t = period.Open.ToTimeSpan(); t + length <= period.Close.ToTimeSpan(); t += length)
                    {
                        if (FirstMomentShowing(date.ToDateTime(TimeOnly.FromTimeSpan(t))) is { } start)
                        {
                            slots.Add(start);
                        }
                    }
                }
                slots = slots.DistinctBy(s => s.UtcTicks).OrderBy(s => s.UtcTicks).ToList();
            }
            _slots[date] = slots;
        }
        return slots;
    }

    /// <summary>The first instant at which the centre's wall clock shows <paramref name="wall"/>;
    /// null when it never does (the hour skipped in spring).</summary>
    private DateTimeOffset? FirstMomentShowing(DateTime wall)
    {
        var around = new DateTimeOffset(wall, TimeSpan.Zero);
        return Enumerable.Range(-48, 97)
            .Select(h => Zone.GetUtcOffset(around.AddHours(h)))
            .Distinct()
            .Select(offset => new DateTimeOffset(wall, offset))
            .Where(instant => TimeZoneInfo.ConvertTime(instant, Zone).DateTime == wall)
            .OrderBy(instant => instant.UtcTicks)
            .Select(instant => (DateTimeOffset?)TimeZoneInfo.ConvertTime(instant, Zone))
            .FirstOrDefault();
    }

    public DateTimeOffset? SlotAt(DateTimeOffset instant) =>
        SlotsOn(LocalDate(instant)).Where(s => s.UtcTicks == instant.UtcTicks).Select(s => (DateTimeOffset?)s).FirstOrDefault();

    // ---- seats ---------------------------------------------------------------------------------

    public int Taken(DateTimeOffset slot)
    {
        _taken ??= Bookings.SelectMany(b => b.Holding).Select(h => h.Start)
            .GroupBy(s => s.UtcTicks)
            .ToDictionary(g => g.Key, g => g.Count());
        return _taken.GetValueOrDefault(slot.UtcTicks);
    }

    public int Free(DateTimeOffset slot) => Settings.Lines - Taken(slot);

    // ---- stock ---------------------------------------------------------------------------------

    private bool Usable(Delivery d) => d.Status == DeliveryStatus.Confirmed || Settings.BookForecastDoses;

    private IEnumerable<DateOnly> AppointmentDays(string vaccine) =>
        Bookings.Where(b => b.Vaccine == vaccine).SelectMany(b => b.Holding).Select(h => h.Day);

    /// <summary>Slack (cumulative usable deliveries minus cumulative appointments) of every day from
    /// the earliest date anything happens to the latest; nothing happens before or after.</summary>
    private (DateOnly From, long[] Slack) SlackOf(string vaccine)
    {
        if (!_slack.TryGetValue(vaccine, out var ledger))
        {
            var deliveries = Deliveries.Where(d => d.Vaccine == vaccine && Usable(d)).ToList();
            var appointments = AppointmentDays(vaccine).ToList();
            var days = deliveries.Select(d => d.Date).Concat(appointments).Append(StockOrigin).ToList();
            var from = days.Min();
            var slack = new long[days.Max().DayNumber - from.DayNumber + 1];
            long running = 0;
            for (var i = 0; i < slack.Length; i++)
            {
                var day = from.AddDays(i);
                running += deliveries.Where(d => d.Date == day).Sum(d => (long)d.Doses);
                running -= appointments.Count(a => a == day);
                slack[i] = running;
            }
            ledger = (from, slack);
            _slack[vaccine] = ledger;
        }
        return ledger;
    }

    private static long SlackOn((DateOnly From, long[] Slack) ledger, DateOnly day) =>
        day < ledger.From ? 0 : ledger.Slack[Math.Min(day.DayNumber - ledger.From.DayNumber, ledger.Slack.Length - 1)];

    private static DateOnly LastDay((DateOnly From, long[] Slack) ledger) => ledger.From.AddDays(ledger.Slack.Length - 1);

    /// <summary>Whether every day stays covered with these extra appointments: from the earliest
    /// appointment on (before it, only deliveries have happened), the slack minus the extra
    /// appointments up to that day is never negative.</summary>
    public bool Covered(string vaccine, params DateOnly[] extraAppointments)
    {
        var appointments = AppointmentDays(vaccine).Concat(extraAppointments).ToList();
        if (appointments.Count == 0)
        {
            return true;
        }
        var ledger = SlackOf(vaccine);
        var last = appointments.Append(LastDay(ledger)).Max();
        for (var day = appointments.Min(); day <= last; day = day.AddDays(1))
        {
            var extraSoFar = 0;
            foreach (var extra in extraAppointments)
            {
                extraSoFar += extra <= day ? 1 : 0;
            }
            if (SlackOn(ledger, day) - extraSoFar < 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The smallest slack from each day onwards, for the days from <paramref name="from"/> to
    /// <paramref name="to"/>: walking back from the last day that matters, keeping the running minimum.</summary>
    public long[] AvailableFrom(string vaccine, DateOnly from, DateOnly to)
    {
        var ledger = SlackOf(vaccine);
        var last = LastDay(ledger) > to ? LastDay(ledger) : to;
        var result = new long[to.DayNumber - from.DayNumber + 1];
        var min = long.MaxValue;
        for (var day = last; day >= from; day = day.AddDays(-1))
        {
            min = Math.Min(min, SlackOn(ledger, day));
            if (day <= to)
            {
                result[day.DayNumber - from.DayNumber] = min;
            }
        }
        return result;
    }

    public bool HasUsableDelivery(string vaccine) => Deliveries.Any(d => d.Vaccine == vaccine && Usable(d));

    // ---- decisions -----------------------------------------------------------------------------

    public Outcome DecideDelivery(Delivery delivery)
    {
        if (!Catalog.TryGet(delivery.Vaccine, out _))
        {
            return Outcome.Invalid("vaccine");
        }
        if (delivery.Doses < 0)
        {
            return Outcome.Invalid("doses");
        }
        if (delivery.Date > StockOrigin.AddDays(DoseTimeline.WindowDays - 1))
        {
            return Outcome.Invalid("date");
        }
        if (Deliveries.Any(d => d.Id == delivery.Id))
        {
            return Outcome.Invalid("deliveryId");
        }
        return Outcome.Accept();
    }

    public Outcome DecideCancel(string reference)
    {
        var booking = Bookings.FirstOrDefault(b => b.Reference == reference);
        return booking is null ? Outcome.Refuse(RefusalReason.BookingNotFound)
            : !booking.Active ? Outcome.Refuse(RefusalReason.NotActive)
            : Outcome.Accept();
    }

    public Outcome DecideBook(string vaccineId, DateTimeOffset firstDose, DateTimeOffset? secondDose, string identity, DateTimeOffset now)
    {
        if (!Catalog.TryGet(vaccineId, out var vaccine) || !Settings.Vaccines.Contains(vaccineId))
        {
            return Outcome.Invalid("vaccine");
        }
        if (Bookings.Any(b => b.Active && b.Identity == identity))
        {
            return Outcome.Refuse(RefusalReason.AlreadyBooked);
        }
        if (SlotAt(firstDose) is not { } first || first <= now
            || LocalDate(first) > LocalDate(now).AddDays(Settings.BookingHorizonDays))
        {
            return Outcome.Invalid("firstDose");
        }
        var firstDay = LocalDate(first);
        if (!vaccine.NeedsSecondDose)
        {
            return secondDose is not null ? Outcome.Invalid("secondDose")
                : Free(first) <= 0 ? Outcome.Refuse(RefusalReason.SlotFull)
                : !Covered(vaccineId, firstDay) ? Outcome.Refuse(RefusalReason.OutOfStock)
                : Outcome.Accept(first);
        }
        if (secondDose is { } wanted)
        {
            if (SlotAt(wanted) is not { } second)
            {
                return Outcome.Invalid("secondDose");
            }
            var days = LocalDate(second).DayNumber - firstDay.DayNumber;
            return days < vaccine.MinIntervalDays || days > vaccine.MaxIntervalDays ? Outcome.Invalid("secondDose")
                : Free(first) <= 0 || Free(second) <= 0 ? Outcome.Refuse(RefusalReason.SlotFull)
                : !Covered(vaccineId, firstDay, LocalDate(second)) ? Outcome.Refuse(RefusalReason.OutOfStock)
                : Outcome.Accept(first, second);
        }
        if (Free(first) <= 0)
        {
            return Outcome.Refuse(RefusalReason.SlotFull);
        }
        if (!Covered(vaccineId, firstDay))
        {
            return Outcome.Refuse(RefusalReason.OutOfStock);
        }
        return PickSecondDose(vaccine, first) is { } picked
            ? Outcome.Accept(first, picked)
            : Outcome.Refuse(RefusalReason.NoSecondDose);
    }

    /// <summary>Days in the vaccine's interval after <paramref name="firstDay"/> with a free seat and
    /// stock for both appointments.</summary>
    public IEnumerable<DateOnly> SecondDoseDays(Vaccine vaccine, DateOnly firstDay) =>
        Enumerable.Range(vaccine.MinIntervalDays, vaccine.MaxIntervalDays - vaccine.MinIntervalDays + 1)
            .Select(firstDay.AddDays)
            .Where(day => SlotsOn(day).Any(s => Free(s) > 0) && Covered(vaccine.Id, firstDay, day));

    /// <summary>Earliest feasible day; on it the free slot nearest the first dose's local time of day, the earlier on a tie.</summary>
    public DateTimeOffset? PickSecondDose(Vaccine vaccine, DateTimeOffset first)
    {
        foreach (var day in SecondDoseDays(vaccine, LocalDate(first)))
        {
            var timeOfDay = LocalTimeOfDay(first);
            return SlotsOn(day).Where(s => Free(s) > 0)
                .OrderBy(s => (LocalTimeOfDay(s) - timeOfDay).Duration())
                .ThenBy(s => s.UtcTicks)
                .First();
        }
        return null;
    }

    public List<FirstDoseSlot> FirstDoseSlots(string vaccineId, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        var result = new List<FirstDoseSlot>();
        if (!Settings.Vaccines.Contains(vaccineId) || !Catalog.TryGet(vaccineId, out var vaccine))
        {
            return result;
        }
        var today = LocalDate(now);
        for (var date = from; date <= to; date = date.AddDays(1))
        {
            if (date < today || date > today.AddDays(Settings.BookingHorizonDays) || !Covered(vaccineId, date))
            {
                continue;
            }
            DateTimeOffset? earliest = null, latest = null;
            if (vaccine.NeedsSecondDose)
            {
                var days = SecondDoseDays(vaccine, date).ToList();
                if (days.Count == 0)
                {
                    continue;
                }
                earliest = SlotsOn(days[0]).First(s => Free(s) > 0);
                latest = SlotsOn(days[^1]).Last(s => Free(s) > 0);
            }
            result.AddRange(SlotsOn(date).Where(s => Free(s) > 0 && s > now)
                .Select(s => new FirstDoseSlot(s, Free(s), earliest, latest)));
        }
        return result;
    }

    // ---- facts ---------------------------------------------------------------------------------

    public void Deliver(Delivery delivery)
    {
        _deliveries.Add(delivery);
        Forget();
    }

    public void Book(string reference, string identity, string vaccine, IReadOnlyList<DateTimeOffset> starts)
    {
        _bookings.Add(new ModelBooking(reference, identity, vaccine, starts, starts.Select(LocalDate).ToArray()));
        Forget();
    }

    /// <summary>Decides as if the booking held nothing, then puts it back.</summary>
    public Outcome DecideAsIfFree(string reference, Func<Outcome> decide)
    {
        var booking = _bookings.Single(b => b.Reference == reference);
        booking.Active = false;
        Forget();
        try
        {
            return decide();
        }
        finally
        {
            booking.Active = true;
            Forget();
        }
    }

    public void Reschedule(string reference, IReadOnlyList<DateTimeOffset> starts)
    {
        var index = _bookings.FindIndex(b => b.Reference == reference);
        _bookings[index] = _bookings[index] with { Starts = starts, Days = starts.Select(LocalDate).ToArray() };
        Forget();
    }

    public void Cancel(string reference, DateTimeOffset at)
    {
        var booking = Bookings.Single(b => b.Reference == reference);
        booking.Active = false;
        booking.CancelledAt = at;
        Forget();
    }

    private void Forget()
    {
        _slack.Clear();
        _taken = null;
    }
}
