namespace Booking.Grains.Domain;

/// <summary>A request to book a first dose and, for two-dose vaccines, its second dose.</summary>
public sealed record PairRequest(
    string Reference,
    string Vaccine,
    DateTimeOffset FirstDose,
    DateTimeOffset? SecondDose,
    string IdentityKey,
    string BirthDateCheck,
    string? ProtectedContact = null,
    string? Initials = null);

/// <summary>A second dose for someone whose first dose was given elsewhere on <see cref="FirstDoseGivenOn"/>.
/// With no <see cref="SecondDose"/> the engine picks the earliest feasible slot.</summary>
public sealed record SecondDoseRequest(
    string Reference,
    string Vaccine,
    DateOnly FirstDoseGivenOn,
    DateTimeOffset? SecondDose,
    string IdentityKey,
    string BirthDateCheck,
    string? ProtectedContact = null,
    string? Initials = null);

/// <summary>A bookable first-dose slot and the range of second-dose starts that can go with it.</summary>
public readonly record struct FirstDoseSlot(DateTimeOffset Start, int Remaining, DateTimeOffset? SecondEarliest, DateTimeOffset? SecondLatest);

/// <summary>One day of a vaccine's stock as a manager sees it.</summary>
public sealed record StockDay(DateOnly Date, int Delivered, int Booked, long Available, int VialsToOpen, int DosesWasted);

/// <summary>
/// One vaccination centre's calendar, stock, bookings and waitlist: the single place where booking
/// decisions are taken. Deciding never changes state; applying a fact does. The grain decides,
/// applies the fact and records it in the ledger; replaying the ledger through <see cref="Apply"/>
/// rebuilds the same state. Everything here is in memory and takes microseconds.
/// </summary>
public sealed partial class Centre
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

    private long _version;

    /// <summary>How many facts have been applied: anything derived from the state and this number stays right until it changes.
    /// Read from other threads too (listings served without a grain call), so each read goes to memory.</summary>
    public long Version => Volatile.Read(ref _version);

    public bool Exists => Settings is not null;

    public VaccineCatalog Catalog => _catalog;

    public CentreCalendar Calendar => _calendar ?? throw new InvalidOperationException("The centre is not configured.");

    public IReadOnlyDictionary<string, Delivery> Deliveries => _deliveries;

    /// <summary>The day stock is counted from.</summary>
    internal DateOnly StockOrigin => _stockOrigin;

    /// <summary>Each identity holding an active booking here, and that booking's reference.</summary>
    internal IReadOnlyDictionary<string, string> ActiveByIdentity => _activeByIdentity;

    /// <summary>The vaccines that have a stock timeline, even an empty one.</summary>
    internal IReadOnlyCollection<string> StockedVaccines => _stock.Keys;

    public IEnumerable<BookingRecord> Bookings => _bookings.Values;

    public BookingRecord? FindBooking(string reference) => _bookings.GetValueOrDefault(reference);

    /// <summary>Appointments (confirmed or held for an offer) in the slot.</summary>
    public int Booked(SlotRef slot) => TakenOn(slot.Date)?[slot.Index] ?? 0;

    public int Remaining(SlotRef slot) => RemainingOn(slot.Date)[slot.Index];

    /// <summary>Seats taken in each slot of the day, or null when nothing is booked that day.</summary>
    private int[]? TakenOn(DateOnly date) => _seats.TryGetValue(date.DayNumber, out var day) ? day.PerSlot : null;

    public DoseTimeline? Stock(string vaccine) => _stock.GetValueOrDefault(vaccine);

    // ---- set-up and stock --------------------------------------------------------------------

    public Decision<CentreConfigured> DecideConfigure(CentreSettings settings, DateOnly today)
    {
        var errors = settings.Validate(_catalog);
        if (errors.Count > 0)
        {
            var (field, message) = errors.First();
            return Refusal.Invalid(field, message);
        }
        var fact = new CentreConfigured(settings, Exists ? _stockOrigin : today.AddDays(-180));
        if (Exists && MisfitUnder(fact, today) is { } misfit)
        {
            return Refusal.Invalid(misfit.Field, misfit.Detail);
        }
        return fact;
    }

    public Decision<DeliveryRecorded> DecideDelivery(Delivery delivery)
    {
        if (Settings is null)
        {
            return new Refusal(RefusalReason.CentreNotFound, $"Centre '{Id}' does not exist.");
        }
        if (CheckDelivery(delivery) is { } invalid)
        {
            return invalid;
        }
        if (_deliveries.ContainsKey(delivery.Id))
        {
            return Refusal.Invalid("deliveryId", $"Delivery '{delivery.Id}' already exists.");
        }
        return new DeliveryRecorded(delivery);
    }

    /// <summary>
    /// Changes a delivery. When the stock still covers every appointment the change simply applies;
    /// otherwise the answer is the supply-cut plan, as a <see cref="RefusalReason.SupplyShortfall"/>
    /// to preview, or, with <paramref name="apply"/>, as the fact that postpones those bookings.
    /// </summary>
    public Decision<DeliveryChanged> DecideChangeDelivery(Delivery changed, bool apply, DateTimeOffset now)
    {
        if (Settings is null)
        {
            return new Refusal(RefusalReason.CentreNotFound, $"Centre '{Id}' does not exist.");
        }
        if (!_deliveries.TryGetValue(changed.Id, out var current))
        {
            return new Refusal(RefusalReason.DeliveryNotFound, $"Delivery '{changed.Id}' does not exist.");
        }
        if (changed.Vaccine != current.Vaccine)
        {
            return Refusal.Invalid("vaccine", "A delivery's vaccine cannot change; record a new delivery instead.");
        }
        if (CheckDelivery(changed) is { } invalid)
        {
            return invalid;
        }
        var plan = PlanSupply(changed, now);
        if (plan.ContradictsGiven)
        {
            return Refusal.Invalid("doses", "Injections already given used more doses than the changed deliveries would hold.");
        }
        if (plan.Postpone.Count > 0 && !apply)
        {
            return new Refusal(RefusalReason.SupplyShortfall,
                $"The change leaves {plan.Postpone.Count} booking(s) without doses; preview the plan, then apply it.")
            { Plan = plan };
        }
        return new DeliveryChanged(changed, plan.Postpone.Select(b => b.Reference).ToArray(), now);
    }

    /// <summary>The plan a delivery change would need: empty when the stock still covers everything.</summary>
    public SupplyCutPlan PlanSupply(Delivery changed, DateTimeOffset now)
    {
        var deliveries = _deliveries.Values
            .Where(d => d.Vaccine == changed.Vaccine)
            .Select(d => d.Id == changed.Id ? changed : d)
            .Where(IsUsable)
            .Select(d => (d.Date, d.Doses));
        var ofVaccine = _bookings.Values.Where(b => b.Vaccine == changed.Vaccine).ToArray();
        var given = ofVaccine.SelectMany(b => b.Given ?? []).Select(a => Calendar.LocalDate(a.Start));
        return SupplyCutPlanner.Plan(_stockOrigin, deliveries, ofVaccine.Where(HoldsPlace), given, Calendar.LocalDate, now);
    }

    /// <summary>Per day from <paramref name="from"/> to <paramref name="to"/>: doses delivered (usable),
    /// appointments, doses still bookable that day, vials to open and doses left over in the last vial.</summary>
    public IReadOnlyList<StockDay> StockReport(string vaccineId, DateOnly from, DateOnly to)
    {
        var result = new List<StockDay>();
        if (!_catalog.TryGet(vaccineId, out var vaccine) || _stock.GetValueOrDefault(vaccineId) is not { } stock)
        {
            return result;
        }
        for (var date = from; date <= to; date = date.AddDays(1))
        {
            if (!stock.Covers(date))
            {
                continue;
            }
            var booked = stock.BookedOn(date);
            var vials = (booked + vaccine.DosesPerVial - 1) / vaccine.DosesPerVial;
            result.Add(new StockDay(date, stock.DeliveredOn(date), booked, Math.Max(0, stock.AvailableFrom(date)),
                vials, vials * vaccine.DosesPerVial - booked));
        }
        return result;
    }

    /// <summary>Every appointment on a local date, in time order.</summary>
    public IReadOnlyList<(BookingRecord Booking, Appointment Appointment)> AppointmentsOn(DateOnly date) =>
        _bookings.Values
            .SelectMany(b => b.Appointments.Select(a => (Booking: b, Appointment: a)))
            .Where(x => Calendar.LocalDate(x.Appointment.Start) == date)
            .OrderBy(x => x.Appointment.Start)
            .ThenBy(x => x.Booking.Number)
            .ToArray();

    private Refusal? CheckDelivery(Delivery delivery)
    {
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
        return null;
    }

    /// <summary>Whether every active booking from <paramref name="today"/> on keeps its seat and doses under new settings.</summary>
    private (string Field, string Detail)? MisfitUnder(CentreConfigured fact, DateOnly today)
    {
        var trial = new Centre(Id, _catalog);
        trial.Apply(fact);
        foreach (var delivery in _deliveries.Values)
        {
            trial.Apply(new DeliveryRecorded(delivery));
        }
        foreach (var booking in _bookings.Values.Where(HoldsPlace).OrderBy(b => b.Number))
        {
            if (!fact.Settings.Vaccines.Contains(booking.Vaccine))
            {
                return ("vaccines", $"'{booking.Vaccine}' still has active bookings.");
            }
            foreach (var appointment in booking.Appointments.Where(a => Calendar.LocalDate(a.Start) >= today))
            {
                if (!trial.Calendar.TryFind(appointment.Start, out var slot) || trial.Remaining(slot) <= 0)
                {
                    return ("openingHours", $"Booked appointments (e.g. {appointment.Start:yyyy-MM-dd HH:mm}) would lose their slot; move or cancel them first.");
                }
            }
            trial.Apply(new PairBooked(booking));
        }
        return trial._stock.Values.Any(s => s.FirstShortDay() is not null)
            ? ("bookForecastDoses", "Booked appointments would no longer be covered by usable doses.")
            : null;
    }
}
