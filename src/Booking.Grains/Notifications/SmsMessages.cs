using System.Globalization;
using Booking.Grains.Domain;

namespace Booking.Grains.Notifications;

/// <summary>What the citizen is told, in French, when a centre decides something about their booking.</summary>
public enum SmsTemplate { BookingConfirmed, BookingRescheduled, BookingCancelled, BookingPostponed, WaitlistOffer, WaitlistOfferWithdrawn }

/// <summary>One SMS to send: the citizen's contact still protected (only the dispatcher may read
/// it), and a text that holds no personal data.</summary>
public sealed record SmsMessage(string Reference, SmsTemplate Template, string ProtectedContact, string Text)
{
    public int Segments => Gsm7.Segments(Text);

    /// <summary>The template's name in the outbox.</summary>
    public string TemplateName => Template switch
    {
        SmsTemplate.BookingConfirmed => "booking-confirmed",
        SmsTemplate.BookingRescheduled => "booking-rescheduled",
        SmsTemplate.BookingCancelled => "booking-cancelled",
        SmsTemplate.BookingPostponed => "booking-postponed",
        SmsTemplate.WaitlistOffer => "waitlist-offer",
        SmsTemplate.WaitlistOfferWithdrawn => "waitlist-offer-withdrawn",
        _ => throw new ArgumentOutOfRangeException(nameof(Template), Template, null),
    };
}

/// <summary>
/// The texts of one centre. Times are the centre's local ones. Only GSM-7 characters are written
/// (é, è and à are in it; ê, ç and the no-break space are not), and the centre's name is folded
/// into it, so that a confirmation with a name of up to about 55 characters is one segment.
/// A booking without a contact (made by an operator for someone without a phone) gets no SMS.
/// </summary>
public sealed class SmsMessages(string centreName, TimeZoneInfo zone)
{
    private readonly string _centre = Gsm7.Fold(centreName);

    public SmsMessage? Confirmed(BookingRecord booking) =>
        Compose(booking, SmsTemplate.BookingConfirmed, $"Vaccination confirmée à {_centre} : {Injections(booking.Appointments)}. Réf. {booking.Reference}");

    public SmsMessage? Rescheduled(BookingRecord booking) =>
        Compose(booking, SmsTemplate.BookingRescheduled, $"Vaccination modifiée à {_centre} : {Injections(booking.Appointments)}. Réf. {booking.Reference}");

    public SmsMessage? Cancelled(BookingRecord booking) =>
        Compose(booking, SmsTemplate.BookingCancelled, $"Votre vaccination à {_centre} est annulée. Réf. {booking.Reference}");

    public SmsMessage? Postponed(BookingRecord booking) =>
        Compose(booking, SmsTemplate.BookingPostponed,
            $"Faute de doses, votre vaccination à {_centre} est reportée. Vous êtes prioritaire : un nouveau créneau vous sera proposé par SMS. Réf. {booking.Reference}");

    /// <summary>A held pair for someone on the waitlist; they accept it on the portal before it expires.</summary>
    public SmsMessage? Offered(BookingRecord held, DateTimeOffset expiresAt) =>
        Compose(held, SmsTemplate.WaitlistOffer,
            $"Un créneau s'est libéré à {_centre} : {Injections(held.Appointments)}. Acceptez-le avant le {When(expiresAt)}. Réf. {held.Reference}");

    /// <summary>A supply cut took back a held pair; the person keeps their place on the waitlist.</summary>
    public SmsMessage? OfferWithdrawn(BookingRecord held) =>
        Compose(held, SmsTemplate.WaitlistOfferWithdrawn,
            $"Faute de doses, le créneau proposé à {_centre} n'est plus disponible. Vous restez sur la liste d'attente. Réf. {held.Reference}");

    private static SmsMessage? Compose(BookingRecord booking, SmsTemplate template, string text) =>
        booking.ProtectedContact is { } contact ? new SmsMessage(booking.Reference, template, contact, text) : null;

    private string Injections(IReadOnlyList<Appointment> appointments) =>
        appointments.Count == 1 && appointments[0].Dose == 1
            ? $"injection le {When(appointments[0].Start)}"
            : string.Join(", ", appointments.OrderBy(a => a.Dose).Select(a => $"{(a.Dose == 1 ? "1re" : "2e")} injection le {When(a.Start)}"));

    private string When(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return local.ToString("dd/MM 'à' HH'h'mm", CultureInfo.InvariantCulture);
    }
}
