using Booking.Grains.Domain;
using Booking.Grains.Notifications;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Domain.Tests;

public sealed class Gsm7Tests
{
    [Theory]
    [InlineData("é è à ù É Ç", true)]
    [InlineData("Prix : 5 €", true)]
    [InlineData("Hôpital", false)]
    [InlineData("ç", false)]
    [InlineData("Réf.\u00A0:", false)]
    public void Knows_which_french_letters_the_alphabet_has(string text, bool encodable) =>
        Assert.Equal(encodable, Gsm7.IsEncodable(text));

    [Theory]
    [InlineData("Hôpital Nord", "Hopital Nord")]
    [InlineData("Salle des fêtes de Besançon", "Salle des fetes de Besancon")]
    [InlineData("Centre « Cœur de ville » – Saint-Étienne", "Centre \" Coeur de ville \" - Saint-Étienne")]
    [InlineData("Gymnase de l’Île-de-France", "Gymnase de l'Ile-de-France")]
    [InlineData("Mairie de Vénissieux", "Mairie de Vénissieux")]
    public void Folds_names_into_the_alphabet(string name, string expected)
    {
        Assert.Equal(expected, Gsm7.Fold(name));
        Assert.True(Gsm7.IsEncodable(expected));
    }

    [Fact]
    public void Keeps_what_has_no_letter_in_the_alphabet()
    {
        // Lower-case Greek has none: the name is kept and its message goes as UCS-2.
        Assert.Equal("κέντρο", Gsm7.Fold("κέντρο"));
        Assert.False(Gsm7.IsEncodable("κέντρο"));
    }

    [Theory]
    [InlineData(160, 'a', 1)]
    [InlineData(161, 'a', 2)]
    [InlineData(306, 'a', 2)]
    [InlineData(307, 'a', 3)]
    [InlineData(80, '€', 1)]
    [InlineData(81, '€', 2)]
    [InlineData(70, 'ç', 1)]
    [InlineData(71, 'ç', 2)]
    [InlineData(134, 'ç', 2)]
    [InlineData(135, 'ç', 3)]
    public void Counts_segments_as_the_network_bills_them(int length, char c, int segments) =>
        Assert.Equal(segments, Gsm7.Segments(new string(c, length)));

    [Fact]
    public void Never_cuts_an_escape_pair_in_two()
    {
        // 306 septets fit two parts of 153, but only if the euro's escape and letter are split
        // between the first part's last septet and the second's first: they start the second part.
        Assert.Equal(3, Gsm7.Segments(new string('a', 152) + "€" + new string('a', 152)));
    }
}

public sealed class SmsMessagesTests
{
    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private static BookingRecord Booking(string? contact = "protected-contact", params Appointment[] appointments) =>
        new("K7M2PQ9XRT", "identity", "birth", "pfizer",
            appointments.Length > 0 ? appointments : [new(1, T.At("2027-03-01T08:40:00Z")), new(2, T.At("2027-03-29T07:20:00Z"))],
            T.At("2027-02-20T10:00:00Z"), ProtectedContact: contact);

    [Fact]
    public void A_confirmation_names_both_injections_in_the_centres_local_time()
    {
        var message = new SmsMessages("Centre de vaccination de Lyon", Paris).Confirmed(Booking())!;

        Assert.Equal(
            "Vaccination confirmée à Centre de vaccination de Lyon : 1re injection le 01/03 à 09h40, 2e injection le 29/03 à 09h20. Réf. K7M2PQ9XRT",
            message.Text);
        Assert.Equal(SmsTemplate.BookingConfirmed, message.Template);
        Assert.Equal("booking-confirmed", message.TemplateName);
        Assert.Equal("protected-contact", message.ProtectedContact);
        Assert.Equal("K7M2PQ9XRT", message.Reference);
        Assert.Equal(1, message.Segments);
    }

    [Fact]
    public void A_single_injection_has_no_rank_and_a_second_dose_alone_keeps_its_rank()
    {
        var messages = new SmsMessages("Mairie", Paris);

        Assert.Equal("Vaccination confirmée à Mairie : injection le 01/03 à 09h40. Réf. K7M2PQ9XRT",
            messages.Confirmed(Booking(appointments: new Appointment(1, T.At("2027-03-01T08:40:00Z"))))!.Text);
        Assert.Equal("Vaccination modifiée à Mairie : 2e injection le 29/03 à 09h20. Réf. K7M2PQ9XRT",
            messages.Rescheduled(Booking(appointments: new Appointment(2, T.At("2027-03-29T07:20:00Z"))))!.Text);
    }

    [Fact]
    public void Cancellations_postponements_and_offers_say_what_happened()
    {
        var messages = new SmsMessages("Hôpital Nord", Paris);

        Assert.Equal("Votre vaccination à Hopital Nord est annulée. Réf. K7M2PQ9XRT", messages.Cancelled(Booking())!.Text);
        Assert.Equal(
            "Faute de doses, votre vaccination à Hopital Nord est reportée. Vous êtes prioritaire : un nouveau créneau vous sera proposé par SMS. Réf. K7M2PQ9XRT",
            messages.Postponed(Booking())!.Text);
        var offer = messages.Offered(Booking(), T.At("2027-02-21T17:00:00Z"))!;
        Assert.Equal(
            "Un créneau s'est libéré à Hopital Nord : 1re injection le 01/03 à 09h40, 2e injection le 29/03 à 09h20. Acceptez-le avant le 21/02 à 18h00. Réf. K7M2PQ9XRT",
            offer.Text);
        Assert.Equal(SmsTemplate.WaitlistOffer, offer.Template);
        var withdrawn = messages.OfferWithdrawn(Booking())!;
        Assert.Equal(
            "Faute de doses, le créneau proposé à Hopital Nord n'est plus disponible. Vous restez sur la liste d'attente. Réf. K7M2PQ9XRT",
            withdrawn.Text);
        Assert.Equal("waitlist-offer-withdrawn", withdrawn.TemplateName);
        Assert.True(Gsm7.IsEncodable(withdrawn.Text));
        Assert.Equal(1, withdrawn.Segments);
    }

    [Fact]
    public void A_booking_without_a_contact_gets_no_message()
    {
        var messages = new SmsMessages("Mairie", Paris);

        Assert.Null(messages.Confirmed(Booking(contact: null)));
        Assert.Null(messages.Cancelled(Booking(contact: null)));
    }

    /// <summary>French centre names, accents and typography included.</summary>
    private static readonly Arbitrary<string> CentreNames =
        Gen.Elements("abcdefghijklmnopqrstuvwxyzéèêëàâîïôöùûüçœÉÈÊÀÂÎÔÛÇŒ -'’«»–ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\u00A0".ToCharArray())
            .ArrayOf()
            .Where(chars => chars.Length is > 0 and <= 60)
            .Select(chars => new string(chars))
            .ToArbitrary();

    [Property(MaxTest = 300)]
    public Property A_confirmation_is_gsm7_and_one_segment_when_the_folded_name_has_55_characters_or_fewer() =>
        Prop.ForAll(CentreNames, name =>
        {
            var text = new SmsMessages(name, Paris).Confirmed(Booking())!.Text;
            var oneSegment = Gsm7.Fold(name).Length <= 55;
            return Gsm7.IsEncodable(text) && (Gsm7.Segments(text) == 1) == oneSegment;
        });
}
