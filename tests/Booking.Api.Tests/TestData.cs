using System.Globalization;

namespace Booking.Api.Tests;

/// <summary>
/// Dates, slot times, centres and citizens for the API tests. Dates are relative to today in the
/// centres' zone (Europe/Paris) and stay well inside the 28-day horizon, so that neither "in the
/// past" nor the horizon can interfere; times carry the centre's UTC offset of that day.
/// </summary>
public static class TestData
{
    public const string ZoneId = "Europe/Paris";

    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById(ZoneId);

    public static readonly string[] AllDays = Enum.GetNames<DayOfWeek>();

    /// <summary>Today's local date at the centres.</summary>
    public static DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Zone).DateTime);

    /// <summary>A local wall-clock time at the centres, with the offset in force at that moment.</summary>
    public static DateTimeOffset At(DateOnly date, int hour, int minute = 0)
    {
        var local = date.ToDateTime(new TimeOnly(hour, minute), DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }

    /// <summary>The same instant seen on the centres' wall clock.</summary>
    public static DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    /// <summary>ISO 8601 with the offset, as the API wants: 2027-03-01T09:20:00+01:00.</summary>
    public static string Iso(DateTimeOffset instant) =>
        Local(instant).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string NewCentreId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Letters only, unique per call: names must contain letters and must not collide.</summary>
    public static string UniqueLetters() =>
        string.Concat(Guid.NewGuid().ToByteArray().Select(b => (char)('a' + (b % 26))));
}

/// <summary>A centre as PUT /api/v1/manage/centres/{id} takes it. Defaults: open every day 08:00–18:00,
/// 10-minute slots, Paris time, pfizer/moderna/janssen, 28-day horizon.</summary>
public sealed record CentreSpec(
    int Lines = 2,
    int SlotMinutes = 10,
    string Open = "08:00",
    string Close = "18:00",
    IReadOnlyList<string>? Days = null,
    IReadOnlyList<DateOnly>? ClosedDates = null,
    IReadOnlyList<string>? Vaccines = null,
    int BookingHorizonDays = 28,
    string IdPrefix = "centre")
{
    public object ToBody() => new
    {
        name = "Centre de vaccination " + IdPrefix,
        address = "1 place de la Mairie",
        postcode = "75001",
        city = "Paris",
        latitude = 48.8566,
        longitude = 2.3522,
        timeZone = TestData.ZoneId,
        lines = Lines,
        slotMinutes = SlotMinutes,
        openingHours = (Days ?? TestData.AllDays).Select(d => new { day = d, open = Open, close = Close }).ToArray(),
        closedDates = (ClosedDates ?? []).Select(TestData.Iso).ToArray(),
        vaccines = Vaccines ?? ["pfizer", "moderna", "janssen"],
        bookingHorizonDays = BookingHorizonDays,
    };
}

public sealed record DeliverySpec(string Vaccine, DateOnly Date, int Doses, string Status = "confirmed")
{
    /// <summary>Doses delivered today.</summary>
    public static DeliverySpec Today(int doses, string vaccine = "pfizer") => new(vaccine, TestData.Today, doses);

    public object ToBody() => new { vaccine = Vaccine, date = TestData.Iso(Date), doses = Doses, status = Status };
}

public sealed record CitizenBody(string FirstName, string LastName, string BirthDate, string Phone, string? Email)
{
    /// <summary>A person nobody else in the run has: the last name is unique.</summary>
    public static CitizenBody New(string firstName = "Camille", string birthDate = "1984-06-15") =>
        new(firstName, "Test-" + TestData.UniqueLetters(), birthDate, "+33612345678", null);
}

public sealed record BookingBody(string CentreId, string Vaccine, string FirstDose, string? SecondDose, CitizenBody Citizen)
{
    public static BookingBody For(string centreId, DateTimeOffset firstDose, DateTimeOffset? secondDose = null,
        CitizenBody? citizen = null, string vaccine = "pfizer") =>
        new(centreId, vaccine, TestData.Iso(firstDose), secondDose is { } s ? TestData.Iso(s) : null, citizen ?? CitizenBody.New());
}

// Response shapes of the HTTP contract (API.md), read with the web (camelCase) JSON defaults.

public sealed record AppointmentDto(int Dose, string CentreId, DateTimeOffset Start);

public sealed record BookingDto(string Reference, string Status, string Vaccine, string CentreId, AppointmentDto[] Appointments)
{
    public DateTimeOffset First => Appointments.Single(a => a.Dose == 1).Start;

    public DateTimeOffset Second => Appointments.Single(a => a.Dose == 2).Start;
}

public sealed record SecondDoseWindowDto(DateTimeOffset Earliest, DateTimeOffset Latest);

public sealed record SlotDto(DateTimeOffset Start, int Remaining, SecondDoseWindowDto? SecondDose);

public sealed record ProblemDto(string? Type, string? Title, int? Status, string? Detail, Dictionary<string, string[]>? Errors);
