using System.Text.Json.Serialization;

namespace Booking.Grains.Domain;

public enum DeliveryStatus { Confirmed, Forecast }

public sealed record Delivery(string Id, string Vaccine, DateOnly Date, int Doses, DeliveryStatus Status);

public enum BookingStatus { Confirmed, Postponed, Cancelled }

/// <summary>One injection of a booking. Dose is 1 or 2.</summary>
public sealed record Appointment(int Dose, DateTimeOffset Start);

/// <summary>
/// A booking as the centre keeps it. <see cref="IdentityKey"/> is the keyed hash of the citizen's
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
    BookingStatus Status = BookingStatus.Confirmed);

/// <summary>A fact in a centre's ledger. Replaying a centre's facts in order rebuilds its state.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(CentreConfigured), "centre-configured")]
[JsonDerivedType(typeof(DeliveryRecorded), "delivery-recorded")]
[JsonDerivedType(typeof(PairBooked), "pair-booked")]
[JsonDerivedType(typeof(BookingCancelled), "booking-cancelled")]
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
