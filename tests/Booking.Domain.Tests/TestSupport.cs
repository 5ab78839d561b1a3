using System.Globalization;
using Booking.Grains.Centres;
using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

/// <summary>Builders and shorthands shared by the domain tests. Every instant is written out in full.</summary>
internal static class T
{
    /// <summary>The centre's snapshot as the grain takes it (pooled buffers), copied out.</summary>
    public static byte[] Snapshot(Centre centre)
    {
        using var snapshot = SnapshotBuffers.Take(centre);
        return snapshot.ToArray();
    }

    /// <summary>The default products plus two short-interval two-dose products, so that tests can
    /// exhaust a whole second-dose window with a handful of bookings.</summary>
    public static readonly VaccineCatalog Catalog = new(VaccineCatalog.Default.All.Concat(
    [
        new Vaccine("quick", "Test vaccine, dose 2 after 2-3 days", "990", 10, 2, 2, 3),
        new Vaccine("brisk", "Test vaccine, dose 2 after 1-3 days", "991", 10, 2, 1, 3),
    ]));

    public static DateTimeOffset At(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.None);

    public static DateOnly Day(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static TimeOnly H(int hour, int minute = 0) => new(hour, minute);

    public static OpeningHours[] EveryDay(TimeOnly open, TimeOnly close) =>
        Enum.GetValues<DayOfWeek>().Select(d => new OpeningHours(d, open, close)).ToArray();

    public static CentreSettings Settings(
        string zone = "Europe/Paris",
        int lines = 2,
        int slotMinutes = 60,
        IReadOnlyList<OpeningHours>? hours = null,
        IReadOnlyList<DateOnly>? closed = null,
        IReadOnlyList<string>? vaccines = null,
        int horizon = 28,
        bool bookForecast = false) =>
        new("Centre de test", "1 place de la Mairie", "75001", "Paris", 48.86, 2.34, zone, lines, slotMinutes,
            hours ?? EveryDay(H(9), H(12)), closed ?? [], vaccines ?? ["pfizer", "janssen"], horizon, bookForecast);

    public static Centre Configured(CentreSettings settings, DateOnly today, string id = "centre-1")
    {
        var centre = new Centre(id, Catalog);
        centre.Apply(Fact(centre.DecideConfigure(settings, today)));
        return centre;
    }

    public static TFact Fact<TFact>(Decision<TFact> decision) where TFact : class =>
        decision.Fact ?? throw new Xunit.Sdk.XunitException($"Expected a fact, got a refusal: {decision.Refusal}");

    public static Refusal Refused<TFact>(Decision<TFact> decision) where TFact : class =>
        decision.Refusal ?? throw new Xunit.Sdk.XunitException($"Expected a refusal, got a fact: {decision.Fact}");

    private static int _deliveries;

    public static void Deliver(Centre centre, string vaccine, DateOnly date, int doses,
        DeliveryStatus status = DeliveryStatus.Confirmed) =>
        centre.Apply(Fact(centre.DecideDelivery(new Delivery(
            $"d-{Interlocked.Increment(ref _deliveries)}", vaccine, date, doses, status))));

    public static PairRequest Request(string reference, string vaccine, DateTimeOffset first, DateTimeOffset? second = null,
        string? identity = null) =>
        new(reference, vaccine, first, second, identity ?? $"id-{reference}", $"bd-{reference}");

    /// <summary>Decides and applies a booking that must be accepted.</summary>
    public static BookingRecord Book(Centre centre, PairRequest request, DateTimeOffset now)
    {
        var fact = Fact(centre.DecideBook(request, now));
        centre.Apply(fact);
        return fact.Booking;
    }

    public static SlotRef Slot(Centre centre, DateTimeOffset start) =>
        centre.Calendar.TryFind(start, out var slot)
            ? slot
            : throw new Xunit.Sdk.XunitException($"{start:O} is not a slot of the centre.");

    public static int BookedAt(Centre centre, DateTimeOffset start) => centre.Booked(Slot(centre, start));

    /// <summary>Instants as "yyyy-MM-ddTHH:mm:sszzz", so that an assertion checks offset and instant at once.</summary>
    public static string[] Iso(IEnumerable<DateTimeOffset> instants) =>
        instants.Select(i => i.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)).ToArray();

    public static string Iso(DateTimeOffset instant) => Iso([instant])[0];

    public static string? Iso(DateTimeOffset? instant) => instant is { } i ? Iso(i) : null;

    public static string Describe(WaitlistEntry e) =>
        $"{e.Id} {e.Vaccine} {e.IdentityKey} {e.BirthDateCheck} {Iso(e.JoinedAt)} {e.PostponedReference} {e.ProtectedContact} {e.Initials}";

    public static string Describe(WaitlistOffer o) => $"{Describe(o.Entry)} -> {o.Reference} until {Iso(o.ExpiresAt)}";
}
