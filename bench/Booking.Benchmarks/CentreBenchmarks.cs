using System.Security.Cryptography;
using System.Text;
using Booking.Abstractions;
using Booking.Grains.Centres;
using BenchmarkDotNet.Attributes;
using Booking.Grains.Domain;

namespace Booking.Benchmarks;

/// <summary>
/// The allocation core on a large centre: Paris, 20 lines, 5-minute slots from 08:00 to 20:00 every
/// day (144 slots, 2,880 seats a day), pfizer only, a 28-day horizon, 1,000 doses delivered every
/// day for 80 days, and 25,000 pairs (50,000 appointments) already booked, spread at random
/// (fixed seed) over the first-dose days and their second-dose windows.
/// Targets (BRIEF.md): one booking decision &lt; 5 µs, a 7-day slots query &lt; 50 µs.
/// </summary>
[MemoryDiagnoser]
public class CentreBenchmarks : LargeCentre
{
    [Benchmark(Description = "DecideBook, explicit second dose")]
    public Decision<PairBooked> DecideExplicit() => Centre.DecideBook(ExplicitSecond, Now);

    [Benchmark(Description = "DecideBook, engine picks second dose")]
    public Decision<PairBooked> DecideEnginePicks() => Centre.DecideBook(EngineSecond, Now);

    /// <summary>Decide, apply, decide the cancellation and apply it: the state is the same afterwards.</summary>
    [Benchmark(Description = "Decide + Apply + Cancel + Apply")]
    public int BookAndCancel()
    {
        var booked = Centre.DecideBook(ExplicitSecond, Now).Fact!;
        Centre.Apply(booked);
        Centre.Apply(Centre.DecideCancel(booked.Booking.Reference, Now).Fact!);
        return booked.Booking.Number;
    }

    [Benchmark(Description = "FirstDoseSlots, 7 days")]
    public IReadOnlyList<FirstDoseSlot> FirstDoseSlots7Days() => FirstDoseSlots("pfizer", 7);

    private readonly List<DaySummary> _days = [];

    /// <summary>What each publication of a changed centre counts for one vaccine: the whole horizon, day by day.</summary>
    [Benchmark(Description = "DailyAvailability, 28 days")]
    public int DailyAvailability28Days()
    {
        _days.Clear();
        Centre.DailyAvailability("pfizer", Now, _days);
        return _days.Count;
    }

    /// <summary>What a portal's request costs once the centre changed: the query and its JSON.</summary>
    [Benchmark(Description = "7-day listing written as JSON")]
    public SlotListing Listing7Days() => new SlotListingCache(lag: TimeSpan.Zero).Get(Centre, "pfizer", Today.AddDays(1), Today.AddDays(7), Now);
}

/// <summary>Where the 7-day query's time goes: the same centre, also offering janssen (single dose,
/// so no second-dose window), and the stock check the query repeats for every candidate day.</summary>
[MemoryDiagnoser]
public class FirstDoseSlotsBreakdown : LargeCentre
{
    [Benchmark(Description = "FirstDoseSlots pfizer, 1 day")]
    public IReadOnlyList<FirstDoseSlot> Pfizer1Day() => FirstDoseSlots("pfizer", 1);

    [Benchmark(Description = "FirstDoseSlots janssen, 7 days (no dose-2 window)")]
    public IReadOnlyList<FirstDoseSlot> Janssen7Days() => FirstDoseSlots("janssen", 7);

    [Benchmark(Description = "SecondDoseSlots pfizer (one dose-2 window)")]
    public int SecondDoseWindow() => Centre.SecondDoseSlots("pfizer", ExplicitSecond.FirstDose).Count;

    [Benchmark(Description = "DoseTimeline.CanTakePair, one call")]
    public bool CanTakePair() => Centre.Stock("pfizer")!.CanTakePair(Today.AddDays(10), Today.AddDays(38));

    [Benchmark(Description = "DoseTimeline.CanTakePair x 29 x 7 (the query's stock checks)")]
    public int CanTakePairForAWeek()
    {
        var stock = Centre.Stock("pfizer")!;
        var feasible = 0;
        for (var day = 1; day <= 7; day++)
        {
            for (var interval = 21; interval <= 49; interval++)
            {
                feasible += stock.CanTakePair(Today.AddDays(day), Today.AddDays(day + interval)) ? 1 : 0;
            }
        }
        return feasible;
    }
}

/// <summary>The large centre shared by the benchmarks.</summary>
public abstract class LargeCentre
{
    protected static readonly DateOnly Today = new(2027, 1, 4);
    protected static readonly DateTimeOffset Now = new(2027, 1, 4, 7, 0, 0, TimeSpan.FromHours(1));

    protected Centre Centre { get; private set; } = null!;

    /// <summary>Every fact applied to the centre, in order: its ledger.</summary>
    protected List<CentreEvent> Facts { get; } = [];

    protected PairRequest ExplicitSecond { get; private set; } = null!;

    protected PairRequest EngineSecond { get; private set; } = null!;

    protected IReadOnlyList<FirstDoseSlot> FirstDoseSlots(string vaccine, int days) =>
        Centre.FirstDoseSlots(vaccine, Today.AddDays(1), Today.AddDays(days), Now);

    [GlobalSetup]
    public virtual void Setup()
    {
        var settings = new CentreSettings("Centre de vaccination du Parc des Expositions", "1 place de la Porte de Versailles",
            "75015", "Paris", 48.832, 2.287, "Europe/Paris", Lines: 20, SlotMinutes: 5,
            Enum.GetValues<DayOfWeek>().Select(d => new OpeningHours(d, new TimeOnly(8, 0), new TimeOnly(20, 0))).ToArray(),
            [], ["pfizer", "janssen"], BookingHorizonDays: 28);
        var centre = new Centre("bench-centre", VaccineCatalog.Default);
        Centre = centre;
        Record(Fact(centre.DecideConfigure(settings, Today)));
        for (var day = 0; day < 80; day++)
        {
            Record(Fact(centre.DecideDelivery(new Delivery($"d{day}", "pfizer", Today.AddDays(day), 1_000, DeliveryStatus.Confirmed))));
            Record(Fact(centre.DecideDelivery(new Delivery($"j{day}", "janssen", Today.AddDays(day), 10, DeliveryStatus.Confirmed))));
        }

        var random = new Random(20210114);
        var booked = 0;
        while (booked < 25_000)
        {
            var first = Today.AddDays(1 + random.Next(28));
            var second = first.AddDays(21 + random.Next(29));
            var request = new PairRequest($"R{booked:D6}", "pfizer", SlotStart(first, random.Next(144)), SlotStart(second, random.Next(144)),
                $"identity-{booked}", $"check-{booked}");
            if (centre.DecideBook(request, Now).Fact is { } fact)
            {
                Record(fact);
                booked++;
            }
        }

        // The measured requests: a first dose in ten days at 10:00 with its second dose 28 days later.
        var firstDose = FreeSlotFrom(Today.AddDays(10), 24);
        var secondDose = FreeSlotFrom(Today.AddDays(38), 24);
        ExplicitSecond = new PairRequest("BENCH00001", "pfizer", firstDose, secondDose, "identity-bench", "check-bench");
        EngineSecond = ExplicitSecond with { SecondDose = null };
        if (centre.DecideBook(ExplicitSecond, Now).Fact is null || centre.DecideBook(EngineSecond, Now).Fact is null)
        {
            throw new InvalidOperationException("The benchmark requests must be bookable.");
        }
        Console.WriteLine($"// {centre.Bookings.Count()} bookings, {centre.Bookings.Sum(b => b.Appointments.Count)} appointments; " +
                          $"7-day query returns {FirstDoseSlots("pfizer", 7).Count} slots");
    }

    private void Record(CentreEvent fact)
    {
        Centre.Apply(fact);
        Facts.Add(fact);
    }

    /// <summary>The facts with bookings carrying what real ones do: 64-character identity key and
    /// birth-date check, a 250-character protected contact and initials.</summary>
    protected IEnumerable<CentreEvent> RealSizedFacts()
    {
        var contact = "CfDJ8" + new string('x', 245);
        return Facts.Select(fact => fact is PairBooked booked
            ? booked with
            {
                Booking = booked.Booking with
                {
                    IdentityKey = Hex("identity", booked.Booking.IdentityKey),
                    BirthDateCheck = Hex("check", booked.Booking.BirthDateCheck),
                    ProtectedContact = contact,
                    Initials = "M. L.",
                },
            }
            : fact);
    }

    private static string Hex(string purpose, string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(purpose + value)));

    private DateTimeOffset SlotStart(DateOnly date, int index) => Centre.Calendar.Day(date).Starts[index];

    private DateTimeOffset FreeSlotFrom(DateOnly date, int index)
    {
        var day = Centre.Calendar.Day(date);
        for (var i = index; i < day.Count; i++)
        {
            if (Centre.Remaining(new SlotRef(date, i)) > 0)
            {
                return day.Starts[i];
            }
        }
        throw new InvalidOperationException($"No free slot on {date}.");
    }

    private static T Fact<T>(Decision<T> decision) where T : class =>
        decision.Fact ?? throw new InvalidOperationException(decision.Refusal!.Detail);
}

/// <summary>What a centre's activation pays for its calendar: the slots of its 28 bookable days,
/// built from the weekly opening hours in its time zone (the large centre's 144 slots a day).</summary>
[MemoryDiagnoser]
public class CalendarBenchmarks
{
    private static readonly CentreSettings Settings = new("Centre de vaccination du Parc des Expositions", "1 place de la Porte de Versailles",
        "75015", "Paris", 48.832, 2.287, "Europe/Paris", Lines: 20, SlotMinutes: 5,
        Enum.GetValues<DayOfWeek>().Select(d => new OpeningHours(d, new TimeOnly(8, 0), new TimeOnly(20, 0))).ToArray(),
        [], ["pfizer"], BookingHorizonDays: 28);

    [Benchmark(Description = "A new calendar's 28 days, one with a clock change")]
    public int Build28Days()
    {
        var calendar = new CentreCalendar(Settings);
        var slots = 0;
        for (var day = new DateOnly(2027, 3, 15); day < new DateOnly(2027, 4, 12); day = day.AddDays(1))
        {
            slots += calendar.Day(day).Count;
        }
        return slots;
    }
}
