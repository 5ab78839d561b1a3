namespace Booking.Abstractions;

[GenerateSerializer, Immutable, Alias("booking.opening-hours")]
public sealed record OpeningPeriod(
    [property: Id(0)] DayOfWeek Day,
    [property: Id(1)] TimeOnly Open,
    [property: Id(2)] TimeOnly Close);

/// <summary>A centre as its manager defines it (API.md, PUT /manage/centres/{id}).</summary>
[GenerateSerializer, Immutable, Alias("booking.centre-definition")]
public sealed record CentreDefinition(
    [property: Id(0)] string Name,
    [property: Id(1)] string Address,
    [property: Id(2)] string Postcode,
    [property: Id(3)] string City,
    [property: Id(4)] double Latitude,
    [property: Id(5)] double Longitude,
    [property: Id(6)] string TimeZone,
    [property: Id(7)] int Lines,
    [property: Id(8)] int SlotMinutes,
    [property: Id(9)] IReadOnlyList<OpeningPeriod> OpeningHours,
    [property: Id(10)] IReadOnlyList<DateOnly> ClosedDates,
    [property: Id(11)] IReadOnlyList<string> Vaccines,
    [property: Id(12)] int BookingHorizonDays,
    [property: Id(13)] bool BookForecastDoses);

[GenerateSerializer, Immutable, Alias("booking.centre-info")]
public sealed record CentreInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] CentreDefinition Definition,
    [property: Id(2)] bool Created);

[GenerateSerializer, Immutable, Alias("booking.delivery")]
public sealed record DeliveryInfo(
    [property: Id(0)] string DeliveryId,
    [property: Id(1)] string Vaccine,
    [property: Id(2)] DateOnly Date,
    [property: Id(3)] int Doses,
    [property: Id(4)] string Status);

[GenerateSerializer, Immutable, Alias("booking.appointment")]
public sealed record AppointmentInfo(
    [property: Id(0)] int Dose,
    [property: Id(1)] string CentreId,
    [property: Id(2)] DateTimeOffset Start);

[GenerateSerializer, Immutable, Alias("booking.booking")]
public sealed record BookingInfo(
    [property: Id(0)] string Reference,
    [property: Id(1)] string Status,
    [property: Id(2)] string Vaccine,
    [property: Id(3)] string CentreId,
    [property: Id(4)] IReadOnlyList<AppointmentInfo> Appointments);

/// <summary>Who is booking, as the centre sees them: keyed hashes, the contact details encrypted
/// by the API (the centre cannot read them), and initials for the day list.</summary>
[GenerateSerializer, Immutable, Alias("booking.citizen-keys")]
public sealed record CitizenKeys(
    [property: Id(0)] string IdentityKey,
    [property: Id(1)] string BirthDateCheck,
    [property: Id(2)] string? ProtectedContact = null,
    [property: Id(3)] string? Initials = null);

/// <summary>An Idempotency-Key as the API received it, scoped to the calling portal, with a hash of the body.</summary>
[GenerateSerializer, Immutable, Alias("booking.idempotency")]
public sealed record IdempotencyTag(
    [property: Id(0)] string Scope,
    [property: Id(1)] string Key,
    [property: Id(2)] string RequestHash);

/// <summary>The answer to a booking sent with an Idempotency-Key: a fresh decision, the stored
/// answer of the first use of the key, or a refusal because the key came with another body.</summary>
[GenerateSerializer, Immutable, Alias("booking.idempotent-booking")]
public sealed record IdempotentBooking(
    [property: Id(0)] Result<BookingInfo>? Fresh,
    [property: Id(1)] BookingInfo? Replayed,
    [property: Id(2)] bool KeyReused);

/// <summary>Book a pair (or a single dose). With <see cref="FirstDoseGivenOn"/> set, the first dose
/// was given elsewhere: <see cref="FirstDose"/> is null and only the second dose is booked.</summary>
[GenerateSerializer, Immutable, Alias("booking.book-pair")]
public sealed record BookPairCommand(
    [property: Id(0)] string Vaccine,
    [property: Id(1)] DateTimeOffset? FirstDose,
    [property: Id(2)] DateTimeOffset? SecondDose,
    [property: Id(3)] CitizenKeys Citizen,
    [property: Id(4)] IdempotencyTag? Idempotency,
    [property: Id(5)] DateOnly? FirstDoseGivenOn = null);

[GenerateSerializer, Immutable, Alias("booking.delivery-change")]
public sealed record DeliveryChange(
    [property: Id(0)] DateOnly? Date,
    [property: Id(1)] int? Doses,
    [property: Id(2)] string? Status,
    [property: Id(3)] bool Apply);

[GenerateSerializer, Immutable, Alias("booking.postponed-appointment")]
public sealed record PostponedAppointment(
    [property: Id(0)] string Reference,
    [property: Id(1)] int Dose,
    [property: Id(2)] DateTimeOffset Start);

/// <summary>A delivery after a change, and the supply-cut plan it needed (empty when none).</summary>
[GenerateSerializer, Immutable, Alias("booking.supply-cut")]
public sealed record SupplyCutInfo(
    [property: Id(0)] DeliveryInfo Delivery,
    [property: Id(1)] IReadOnlyList<PostponedAppointment> Postpone,
    [property: Id(2)] int Kept);

[GenerateSerializer, Immutable, Alias("booking.day-appointment")]
public sealed record DayAppointment(
    [property: Id(0)] string Reference,
    [property: Id(1)] int Dose,
    [property: Id(2)] string Vaccine,
    [property: Id(3)] DateTimeOffset Start,
    [property: Id(4)] string Status,
    [property: Id(5)] string? Initials);

[GenerateSerializer, Immutable, Alias("booking.stock-day")]
public sealed record StockDayInfo(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] int Delivered,
    [property: Id(2)] int Booked,
    [property: Id(3)] long Available,
    [property: Id(4)] int VialsToOpen,
    [property: Id(5)] int DosesWasted);

/// <summary>A place on a centre's waitlist and, once made, the offer held for it.</summary>
[GenerateSerializer, Immutable, Alias("booking.waitlist-entry")]
public sealed record WaitlistInfo(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string CentreId,
    [property: Id(2)] string Vaccine,
    [property: Id(3)] int Position,
    [property: Id(4)] BookingInfo? Offer,
    [property: Id(5)] DateTimeOffset? OfferExpiresAt);

/// <summary>
/// Bookable first-dose slots as the portal's JSON array
/// (<c>[{"start","remaining","secondDose":{"earliest","latest"}|null}]</c>), written by the centre
/// once per change and passed through as it is: listings are the busiest read of launch day.
/// The JSON is the concatenation of <see cref="Parts"/>, each under <see cref="MaxPartBytes"/>: a
/// city centre's week is over 100 KB, and one array per rewrite would go to the large object heap,
/// whose budget then sets off a full collection about once a second at hot centres.
/// </summary>
[GenerateSerializer, Immutable, Alias("booking.slot-listing")]
public sealed record SlotListing([property: Id(0)] byte[][] Parts)
{
    /// <summary>Below the runtime's 85,000-byte large-object threshold.</summary>
    public const int MaxPartBytes = 64 * 1024;

    public int Length => Parts.Sum(p => p.Length);

    public static SlotListing Of(ReadOnlySpan<byte> json)
    {
        var parts = new byte[Math.Max(1, (json.Length + MaxPartBytes - 1) / MaxPartBytes)][];
        for (var i = 0; i < parts.Length; i++)
        {
            var start = i * MaxPartBytes;
            parts[i] = json.Slice(start, Math.Min(MaxPartBytes, json.Length - start)).ToArray();
        }
        return new SlotListing(parts);
    }
}

[GenerateSerializer, Immutable, Alias("booking.first-dose-slot")]
public sealed record SlotInfo(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] int Remaining,
    [property: Id(2)] DateTimeOffset? SecondDoseEarliest,
    [property: Id(3)] DateTimeOffset? SecondDoseLatest);

/// <summary>The refusals a caller can cause; each maps to one problem type of the HTTP contract.</summary>
public enum ProblemKind
{
    Validation,
    CentreNotFound,
    BookingNotFound,
    SlotFull,
    NoSecondDose,
    OutOfStock,
    AlreadyBooked,
    NotActive,
    DeliveryNotFound,
    WaitlistEntryNotFound,
    SupplyShortfall,
}

[GenerateSerializer, Immutable, Alias("booking.problem")]
public sealed record Problem(
    [property: Id(0)] ProblemKind Kind,
    [property: Id(1)] string Detail,
    [property: Id(2)] string? Field = null,
    [property: Id(3)] SupplyCutInfo? Plan = null);

/// <summary>What a command produced, or why it produced nothing. Refusals are values, not exceptions.</summary>
[GenerateSerializer, Immutable, Alias("booking.result`1")]
public sealed record Result<T>(
    [property: Id(0)] T? Value,
    [property: Id(1)] Problem? Problem)
{
    public bool Succeeded => Problem is null;

    public static Result<T> Ok(T value) => new(value, null);

    public static Result<T> Refused(Problem problem) => new(default, problem);
}

/// <summary>
/// The decision could not be made durable (database unreachable, a batch failed, or its outcome
/// is unknown). Nothing is confirmed; the caller may retry (HTTP 503).
/// </summary>
[GenerateSerializer, Alias("booking.storage-unavailable")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message) : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}
