namespace Booking.Grains.Domain;

/// <summary>A request to book a first dose and, for two-dose vaccines, its second dose.</summary>
public sealed record PairRequest(
    string Reference,
    string Vaccine,
    DateTimeOffset FirstDose,
    DateTimeOffset? SecondDose,
    string IdentityKey,
    string BirthDateCheck);

/// <summary>A bookable first-dose slot and the range of second-dose starts that can go with it.</summary>
public sealed record FirstDoseSlot(DateTimeOffset Start, int Remaining, DateTimeOffset? SecondEarliest, DateTimeOffset? SecondLatest);

/// <summary>
/// One vaccination centre's calendar, stock and bookings: the single place where booking decisions
/// are taken. Deciding never changes state; applying a fact does. The grain decides, records the
/// fact in the ledger and applies it; replaying the ledger through <see cref="Apply"/> rebuilds the
/// same state. Everything here is in memory and takes microseconds.
/// </summary>
public sealed class Centre
{
    private readonly VaccineCatalog _catalog;
    private readonly Dictionary<string, BookingRecord> _bookings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _activeByIdentity = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Delivery> _deliveries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DoseTimeline> _stock = new(StringComparer.Ordinal);
    private readonly Dictionary<int, DaySeats> _seats = new();
    private CentreCalendar? _calendar;
    private DateOnly _stockOrigin;

    public Centre(string id, VaccineCatalog catalog)
    {
        Id = id;
        _catalog = catalog;
    }

    public string Id { get; }

    public CentreSettings? Settings { get; private set; }

    public bool Exists => Settings is not null;

    public VaccineCatalog Catalog => _catalog;

    public CentreCalendar Calendar => _calendar ?? throw new InvalidOperationException("The centre is not configured.");

    public IReadOnlyDictionary<string, Delivery> Deliveries => _deliveries;

    public IEnumerable<BookingRecord> Bookings => _bookings.Values;

    public BookingRecord? FindBooking(string reference) => _bookings.GetValueOrDefault(reference);

    /// <summary>Confirmed appointments in the slot.</summary>
    public int Booked(SlotRef slot) =>
        _seats.TryGetValue(slot.Date.DayNumber, out var day) ? day.PerSlot[slot.Index] : 0;

    public int Remaining(SlotRef slot) => Calendar.Capacity - Booked(slot);

    public DoseTimeline? Stock(string vaccine) => _stock.GetValueOrDefault(vaccine);

    // ---- decisions -------------------------------------------------------------------------

    public Decision<CentreConfigured> DecideConfigure(CentreSettings settings, DateOnly today)
    {
        var errors = settings.Validate(_catalog);
        if (errors.Count > 0)
        {
            var (field, message) = errors.First();
            return Refusal.Invalid(field, message);
        }
        return new CentreConfigured(settings, Exists ? _stockOrigin : today.AddDays(-180));
    }

    public Decision<DeliveryRecorded> DecideDelivery(Delivery delivery)
    {
        if (Settings is null)
        {
            return new Refusal(RefusalReason.CentreNotFound, $"Centre '{Id}' does not exist.");
        }
        if (!_catalog.TryGet(delivery.Vaccine, out _))
        {
            return Refusal.Invalid("vaccine", $"Unknown vaccine '{delivery.Vaccine}'.");
        }
        if (delivery.Doses < 0)
        {
            return Refusal.Invalid("doses", "Doses cannot be negative.");
        }
        if (delivery.Date > _stockOrigin.AddDays(DoseTimeline.WindowDays - 1))
        {
            return Refusal.Invalid("date", "The delivery date is too far in the future.");
        }
        if (_deliveries.ContainsKey(delivery.Id))
        {
            return Refusal.Invalid("deliveryId", $"Delivery '{delivery.Id}' already exists.");
        }
        return new DeliveryRecorded(delivery);
    }

    public Decision<PairBooked> DecideBook(PairRequest request, DateTimeOffset now)
    {
        if (Settings is null)
        {
            return new Refusal(RefusalReason.CentreNotFound, $"Centre '{Id}' does not exist.");
        }
        if (!_catalog.TryGet(request.Vaccine, out var vaccine))
        {
            return Refusal.Invalid("vaccine", $"Unknown vaccine '{request.Vaccine}'.");
        }
        if (!Settings.Vaccines.Contains(vaccine.Id))
        {
            return Refusal.Invalid("vaccine", $"This centre does not offer '{vaccine.Id}'.");
        }
        if (!Calendar.TryFind(request.FirstDose, out var first))
        {
            return Refusal.Invalid("firstDose", "No slot of this centre starts at that time.");
        }
        if (request.FirstDose <= now)
        {
            return Refusal.Invalid("firstDose", "The slot has already started.");
        }
        if (first.Date > Calendar.LocalDate(now).AddDays(Settings.BookingHorizonDays))
        {
            return Refusal.Invalid("firstDose", $"First doses can be booked at most {Settings.BookingHorizonDays} days ahead.");
        }
        if (_activeByIdentity.ContainsKey(request.IdentityKey))
        {
            return new Refusal(RefusalReason.AlreadyBooked, "This person already holds an active booking.");
        }
        var stock = _stock.GetValueOrDefault(vaccine.Id);
        if (!vaccine.NeedsSecondDose)
        {
            if (request.SecondDose is not null)
            {
                return Refusal.Invalid("secondDose", $"'{vaccine.Id}' is a single-dose vaccine.");
            }
            if (Remaining(first) <= 0)
            {
                return new Refusal(RefusalReason.SlotFull, "The first-dose slot is full.");
            }
            if (stock is null || !stock.CanTake(first.Date))
            {
                return new Refusal(RefusalReason.OutOfStock, "No dose is available for that day.");
            }
            return Booked(request, now, (1, first));
        }

        SlotRef second;
        if (request.SecondDose is { } wanted)
        {
            if (!Calendar.TryFind(wanted, out second))
            {
                return Refusal.Invalid("secondDose", "No slot of this centre starts at that time.");
            }
            if (!vaccine.IntervalAllows(first.Date, second.Date))
            {
                return Refusal.Invalid("secondDose",
                    $"The second dose must be {vaccine.MinIntervalDays} to {vaccine.MaxIntervalDays} days after the first.");
            }
            if (Remaining(first) <= 0 || Remaining(second) <= 0)
            {
                return new Refusal(RefusalReason.SlotFull, Remaining(first) <= 0 ? "The first-dose slot is full." : "The second-dose slot is full.");
            }
            if (stock is null || !stock.CanTakePair(first.Date, second.Date))
            {
                return new Refusal(RefusalReason.OutOfStock, "Not enough doses for both appointments.");
            }
        }
        else
        {
            if (Remaining(first) <= 0)
            {
                return new Refusal(RefusalReason.SlotFull, "The first-dose slot is full.");
            }
            if (stock is null || !stock.CanTake(first.Date))
            {
                return new Refusal(RefusalReason.OutOfStock, "No dose is available for that day.");
            }
            if (PickSecondDose(vaccine, stock, first) is not { } picked)
            {
                return new Refusal(RefusalReason.NoSecondDose, "No second-dose slot with a dose can go with this first dose.");
            }
            second = picked;
        }
        return Booked(request, now, (1, first), (2, second));
    }

    public Decision<BookingCancelled> DecideCancel(string reference, DateTimeOffset now)
    {
        if (!_bookings.TryGetValue(reference, out var booking))
        {
            return new Refusal(RefusalReason.BookingNotFound, "No such booking.");
        }
        if (booking.Status == BookingStatus.Cancelled)
        {
            return new Refusal(RefusalReason.NotActive, "The booking is already cancelled.");
        }
        return new BookingCancelled(reference, now);
    }

    // ---- availability ----------------------------------------------------------------------

    /// <summary>
    /// First-dose slots from <paramref name="from"/> to <paramref name="to"/> (local dates) that have
    /// a free seat and, for two-dose vaccines, a second-dose slot and dose to go with them (I6).
    /// </summary>
    public IReadOnlyList<FirstDoseSlot> FirstDoseSlots(string vaccineId, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        var result = new List<FirstDoseSlot>();
        if (Settings is null || !Settings.Vaccines.Contains(vaccineId) || !_catalog.TryGet(vaccineId, out var vaccine)
            || _stock.GetValueOrDefault(vaccineId) is not { } stock)
        {
            return result;
        }
        var today = Calendar.LocalDate(now);
        var last = Min(to, today.AddDays(Settings.BookingHorizonDays));
        for (var date = Max(from, today); date <= last; date = date.AddDays(1))
        {
            if (!stock.Covers(date) || !stock.CanTake(date))
            {
                continue;
            }
            DateTimeOffset? earliest = null, latest = null;
            if (vaccine.NeedsSecondDose)
            {
                DateOnly? firstDay = null, lastDay = null;
                foreach (var secondDay in SecondDoseDays(vaccine, stock, date))
                {
                    firstDay ??= secondDay;
                    lastDay = secondDay;
                }
                if (firstDay is null || lastDay is null)
                {
                    continue;
                }
                earliest = Calendar.StartOf(FirstFreeSlot(firstDay.Value)!.Value);
                latest = Calendar.StartOf(LastFreeSlot(lastDay.Value)!.Value);
            }
            var day = Calendar.Day(date);
            for (var i = 0; i < day.Count; i++)
            {
                var remaining = Remaining(new SlotRef(date, i));
                if (remaining > 0 && day.Starts[i] > now)
                {
                    result.Add(new FirstDoseSlot(day.Starts[i], remaining, earliest, latest));
                }
            }
        }
        return result;
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
        foreach (var date in SecondDoseDays(vaccine, stock, first.Date))
        {
            var day = Calendar.Day(date);
            for (var i = 0; i < day.Count; i++)
            {
                var remaining = Remaining(new SlotRef(date, i));
                if (remaining > 0)
                {
                    result.Add((day.Starts[i], remaining));
                }
            }
        }
        return result;
    }

    private IEnumerable<DateOnly> SecondDoseDays(Vaccine vaccine, DoseTimeline stock, DateOnly first)
    {
        for (var d = vaccine.MinIntervalDays; d <= vaccine.MaxIntervalDays; d++)
        {
            var date = first.AddDays(d);
            if (stock.Covers(date) && HasFreeSeat(date) && stock.CanTakePair(first, date))
            {
                yield return date;
            }
        }
    }

    /// <summary>The earliest feasible second-dose day, and on it the slot nearest the first dose's time of day.</summary>
    private SlotRef? PickSecondDose(Vaccine vaccine, DoseTimeline stock, SlotRef first)
    {
        foreach (var date in SecondDoseDays(vaccine, stock, first.Date))
        {
            return ClosestFreeSlot(date, Calendar.StartOf(first).TimeOfDay);
        }
        return null;
    }

    private SlotRef? LastFreeSlot(DateOnly date)
    {
        var day = Calendar.Day(date);
        for (var i = day.Count - 1; i >= 0; i--)
        {
            if (Remaining(new SlotRef(date, i)) > 0)
            {
                return new SlotRef(date, i);
            }
        }
        return null;
    }

    private bool HasFreeSeat(DateOnly date)
    {
        var capacity = Calendar.Day(date).Count * Calendar.Capacity;
        return _seats.TryGetValue(date.DayNumber, out var seats) ? seats.Total < capacity : capacity > 0;
    }

    /// <summary>Seats taken in each slot of one day, with their total so that "is anything free
    /// that day" costs one comparison.</summary>
    private sealed class DaySeats(int slots)
    {
        public int[] PerSlot { get; } = new int[slots];

        public int Total { get; set; }
    }

    private SlotRef? FirstFreeSlot(DateOnly date)
    {
        var day = Calendar.Day(date);
        for (var i = 0; i < day.Count; i++)
        {
            if (Remaining(new SlotRef(date, i)) > 0)
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
        SlotRef? best = null;
        var bestDistance = TimeSpan.MaxValue;
        for (var i = 0; i < day.Count; i++)
        {
            if (Remaining(new SlotRef(date, i)) <= 0)
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

    // ---- applying facts --------------------------------------------------------------------

    public void Apply(CentreEvent fact)
    {
        switch (fact)
        {
            case CentreConfigured c:
                ApplyConfigured(c);
                break;
            case DeliveryRecorded d:
                _deliveries[d.Delivery.Id] = d.Delivery;
                if (IsUsable(d.Delivery))
                {
                    TimelineFor(d.Delivery.Vaccine).AddDelivered(d.Delivery.Date, d.Delivery.Doses);
                }
                break;
            case PairBooked b:
                _bookings[b.Booking.Reference] = b.Booking;
                _activeByIdentity[b.Booking.IdentityKey] = b.Booking.Reference;
                Hold(b.Booking, +1);
                break;
            case BookingCancelled c:
                var booking = _bookings[c.Reference];
                if (booking.Status == BookingStatus.Confirmed)
                {
                    Hold(booking, -1);
                }
                _activeByIdentity.Remove(booking.IdentityKey);
                _bookings[c.Reference] = booking with { Status = BookingStatus.Cancelled };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fact), fact.Kind, "Unknown centre fact.");
        }
    }

    private void ApplyConfigured(CentreConfigured c)
    {
        Settings = c.Settings;
        _stockOrigin = c.StockOrigin;
        _calendar = new CentreCalendar(c.Settings);
        // A new calendar may place existing appointments differently, and the forecast rule may
        // have changed: recount seats and stock from the bookings and deliveries themselves.
        _seats.Clear();
        _stock.Clear();
        foreach (var delivery in _deliveries.Values.Where(IsUsable))
        {
            TimelineFor(delivery.Vaccine).AddDelivered(delivery.Date, delivery.Doses);
        }
        foreach (var booking in _bookings.Values.Where(b => b.Status == BookingStatus.Confirmed))
        {
            Hold(booking, +1);
        }
    }

    private bool IsUsable(Delivery d) =>
        d.Status == DeliveryStatus.Confirmed || Settings?.BookForecastDoses == true;

    private DoseTimeline TimelineFor(string vaccine)
    {
        if (!_stock.TryGetValue(vaccine, out var timeline))
        {
            timeline = new DoseTimeline(_stockOrigin);
            _stock[vaccine] = timeline;
        }
        return timeline;
    }

    /// <summary>Takes (+1) or gives back (-1) the seats and doses of a booking's appointments.</summary>
    private void Hold(BookingRecord booking, int delta)
    {
        var stock = TimelineFor(booking.Vaccine);
        foreach (var appointment in booking.Appointments)
        {
            stock.AddBooked(Calendar.LocalDate(appointment.Start), delta);
            if (Calendar.TryFind(appointment.Start, out var slot))
            {
                if (!_seats.TryGetValue(slot.Date.DayNumber, out var seats))
                {
                    seats = new DaySeats(Calendar.Day(slot.Date).Count);
                    _seats[slot.Date.DayNumber] = seats;
                }
                seats.PerSlot[slot.Index] += delta;
                seats.Total += delta;
            }
        }
    }

    private PairBooked Booked(PairRequest request, DateTimeOffset now, params (int Dose, SlotRef Slot)[] appointments) =>
        new(new BookingRecord(
            request.Reference,
            request.IdentityKey,
            request.BirthDateCheck,
            request.Vaccine,
            appointments.Select(a => new Appointment(a.Dose, Calendar.StartOf(a.Slot))).ToArray(),
            now));

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
