using System.Text.Json.Serialization;

namespace Booking.Grains.Domain;

public enum DeliveryStatus { Confirmed, Forecast }

public sealed record Delivery(string Id, string Vaccine, DateOnly Date, int Doses, DeliveryStatus Status);

/// <summary>Offered: held for a person from the waitlist, not yet accepted; it takes seats and doses
/// like a confirmed booking, but is never reported as confirmed.</summary>
public enum BookingStatus { Confirmed, Postponed, Cancelled, Offered }

/// <summary>One injection of a booking. Dose is 1 or 2.</summary>
public sealed record Appointment(int Dose, DateTimeOffset Start);

/// <summary>
/// A booking as the centre keeps it. <see cref="Number"/> is its rank in booking order at the
/// centre; the interval bounds are the vaccine's when it was booked (a later catalogue change
/// does not move them); <see cref="FirstDoseGivenOn"/> is set when dose 1 was given elsewhere.
/// <see cref="ProtectedContact"/> is the citizen's names, birth date, phone and e-mail encrypted by
/// the API with keys kept outside the ledger; <see cref="Initials"/> is all the day list shows.
/// <see cref="Given"/> repeats the appointments already given when the booking was postponed or
/// cancelled: they used their dose and seat for good, whatever happens to the booking next. <see cref="IdentityKey"/> is the keyed hash of the citizen's
/// identity and <see cref="BirthDateCheck"/> a keyed hash that proves knowledge of the birth date
/// on look-ups; neither reveals personal data.
/// </summary>
public sealed record BookingRecord(
    string Reference,
    string IdentityKey,
    string BirthDateCheck,
    string Vaccine,
    IReadOnlyList<Appointment> Appointments,
    DateTimeOffset BookedAt,
    BookingStatus Status = BookingStatus.Confirmed,
    int Number = 0,
    int MinIntervalDays = 0,
    int MaxIntervalDays = 0,
    DateOnly? FirstDoseGivenOn = null,
    string? ProtectedContact = null,
    string? Initials = null,
    IReadOnlyList<Appointment>? Given = null)
{
    public Appointment? Dose(int dose) => Appointments.FirstOrDefault(a => a.Dose == dose);
}

/// <summary>A fact in a centre's ledger. Replaying a centre's facts in order rebuilds its state.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(CentreConfigured), "centre-configured")]
[JsonDerivedType(typeof(DeliveryRecorded), "delivery-recorded")]
[JsonDerivedType(typeof(PairBooked), "pair-booked")]
[JsonDerivedType(typeof(BookingCancelled), "booking-cancelled")]
[JsonDerivedType(typeof(BookingRescheduled), "booking-rescheduled")]
[JsonDerivedType(typeof(DeliveryChanged), "delivery-changed")]
[JsonDerivedType(typeof(WaitlistJoined), "waitlist-joined")]
[JsonDerivedType(typeof(WaitlistOffered), "waitlist-offered")]
[JsonDerivedType(typeof(WaitlistOfferEnded), "waitlist-offer-ended")]
public abstract record CentreEvent
{
    private static readonly Dictionary<Type, string> Kinds = typeof(CentreEvent)
        .GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false)
        .Cast<JsonDerivedTypeAttribute>()
        .ToDictionary(a => a.DerivedType, a => (string)a.TypeDiscriminator!);

    /// <summary>The fact's name in the ledger, the same as its JSON discriminator.</summary>
    [JsonIgnore]
    public string Kind => Kinds[GetType()];
}

/// <param name="StockOrigin">First day of the stock window, fixed when the centre is first created.</param>
public sealed record CentreConfigured(CentreSettings Settings, DateOnly StockOrigin) : CentreEvent;

public sealed record DeliveryRecorded(Delivery Delivery) : CentreEvent;

public sealed record PairBooked(BookingRecord Booking) : CentreEvent;

public sealed record BookingCancelled(string Reference, DateTimeOffset At) : CentreEvent;

public sealed record BookingRescheduled(string Reference, IReadOnlyList<Appointment> Appointments, DateTimeOffset At) : CentreEvent;

/// <summary>A delivery's doses, date or status changed. <see cref="Postponed"/> lists the bookings
/// that the change could no longer cover (the applied supply-cut plan); empty when stock sufficed.</summary>
public sealed record DeliveryChanged(Delivery Delivery, IReadOnlyList<string> Postponed, DateTimeOffset At) : CentreEvent;

/// <summary>A person waiting for a place. People whose booking was postponed
/// (<see cref="PostponedReference"/>) go ahead of everyone else.</summary>
public sealed record WaitlistEntry(
    string Id, string Vaccine, string IdentityKey, string BirthDateCheck, DateTimeOffset JoinedAt,
    string? PostponedReference = null, string? ProtectedContact = null, string? Initials = null)
{
    public bool Priority => PostponedReference is not null;
}

public sealed record WaitlistJoined(WaitlistEntry Entry) : CentreEvent;

/// <summary>A pair of appointments held for a waiting person until <see cref="ExpiresAt"/>; the
/// hold takes the seats and doses like a booking does.</summary>
public sealed record WaitlistOffered(string EntryId, string Reference, IReadOnlyList<Appointment> Appointments, DateTimeOffset At, DateTimeOffset ExpiresAt) : CentreEvent;

public enum OfferOutcome { Accepted, Expired, Declined }

/// <summary>An offer ended: accepted (it becomes a booking under <see cref="WaitlistOffered.Reference"/>), or expired or declined (the hold is released).</summary>
public sealed record WaitlistOfferEnded(string EntryId, OfferOutcome Outcome, DateTimeOffset At) : CentreEvent;
