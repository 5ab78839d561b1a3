using System.Text;
using Booking.Grains.Domain;
using Booking.Grains.Notifications;
using Booking.Grains.Storage;
using Dapper;
using Npgsql;

namespace Booking.LoadTests.Tests;

/// <summary>
/// The rows the grain engine commits (ledger facts, booking_refs, citizen_bookings, sms_outbox), produced by
/// the domain's own Decide*/Apply and <see cref="LedgerJson"/>, so that the audit reads exactly
/// what a run would leave behind.
/// </summary>
internal sealed class LedgerData
{
    public static readonly DateOnly Today = new(2030, 3, 4);
    public static readonly DateTimeOffset Now = new(2030, 3, 4, 7, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, Centre> _centres = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _doses = new(StringComparer.Ordinal);
    private readonly List<RawFact> _ledger = [];
    private readonly List<BookingReferenceRow> _refs = [];
    private readonly List<CitizenBookingRow> _claims = [];
    private readonly List<SmsOutboxRow> _sms = [];
    private static readonly SmsMessages Messages = new("Centre de test", TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"));

    public List<string> Confirmed { get; } = [];

    public void AddCentre(string id, int doses = 100)
    {
        _doses[id] = doses;
        _centres[id] = Open(id, doses, fact => Write(id, fact));
    }

    /// <summary>Two lines, one-hour slots from 09:00 to 12:00 every day, Pfizer only, <paramref name="doses"/> doses on day one.</summary>
    private static Centre Open(string id, int doses, Action<CentreEvent> record)
    {
        var centre = new Centre(id, VaccineCatalog.Default);
        var hours = Enum.GetValues<DayOfWeek>().Select(d => new OpeningHours(d, new TimeOnly(9, 0), new TimeOnly(12, 0))).ToArray();
        var settings = new CentreSettings("Centre de test", "1 place de la Mairie", "75001", "Paris", 48.86, 2.34,
            "Europe/Paris", 2, 60, hours, [], ["pfizer"]);
        var configured = Accepted(centre.DecideConfigure(settings, Today));
        centre.Apply(configured);
        record(configured);
        var delivered = Accepted(centre.DecideDelivery(new Delivery("d-1", "pfizer", Today, doses, DeliveryStatus.Confirmed)));
        centre.Apply(delivered);
        record(delivered);
        return centre;
    }

    /// <summary>A booking the centre accepts, recorded as the grain records it: fact, reference, claim, and the 201.</summary>
    public BookingRecord Book(string centreId, string reference, string identity, DateTimeOffset firstDose)
    {
        var centre = _centres[centreId];
        var fact = Accepted(centre.DecideBook(new PairRequest(reference, "pfizer", firstDose, null, identity, "bd-" + reference, "contact-" + reference), Now));
        centre.Apply(fact);
        Write(centreId, fact);
        _refs.Add(new BookingReferenceRow(reference, centreId, identity, Now));
        Tell(centreId, Messages.Confirmed(fact.Booking)!);
        _claims.Add(new CitizenBookingRow(identity, reference, centreId));
        Confirmed.Add(reference);
        return fact.Booking;
    }

    /// <summary>A booking decided by a centre that has none yet (same settings and doses), appended to
    /// <paramref name="centreId"/>'s ledger whatever that centre already holds: the engine's payload, the wrong
    /// state. <paramref name="tamper"/> may change the booking before it is serialised.</summary>
    public BookingRecord Force(string centreId, string reference, string identity, DateTimeOffset firstDose, bool claim,
        Func<BookingRecord, BookingRecord>? tamper = null)
    {
        var fact = Accepted(Open(centreId, _doses[centreId], _ => { }).DecideBook(new PairRequest(reference, "pfizer", firstDose, null, identity, "bd-" + reference, "contact-" + reference), Now));
        fact = new PairBooked(tamper?.Invoke(fact.Booking) ?? fact.Booking);
        Write(centreId, fact);
        _refs.Add(new BookingReferenceRow(reference, centreId, identity, Now));
        Tell(centreId, Messages.Confirmed(fact.Booking)!);
        if (claim)
        {
            _claims.Add(new CitizenBookingRow(identity, reference, centreId));
        }
        Confirmed.Add(reference);
        return fact.Booking;
    }

    public void DropReference(string reference) => _refs.RemoveAll(r => r.Reference == reference);

    public void DropSms(string reference) => _sms.RemoveAll(r => r.Reference == reference);

    /// <summary>A ledger row with any kind and payload (a JSON value), next in <paramref name="centreId"/>'s seq.</summary>
    public void WriteRaw(string centreId, string kind, string payload) =>
        _ledger.Add(new RawFact(centreId, _ledger.Count(r => r.CentreId == centreId) + 1, kind, payload, Now));

    public async Task InsertAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.ExecuteAsync(
            "INSERT INTO ledger (centre_id, seq, kind, payload, recorded_at) VALUES (@CentreId, @Seq, @Kind, @Payload::jsonb, @RecordedAt)", _ledger);
        await connection.ExecuteAsync(
            "INSERT INTO booking_refs (reference, centre_id, identity_key, created_at) VALUES (@Reference, @CentreId, @IdentityKey, @CreatedAt)", _refs);
        await connection.ExecuteAsync(
            "INSERT INTO citizen_bookings (identity_key, reference, centre_id) VALUES (@IdentityKey, @Reference, @CentreId)", _claims);
        await connection.ExecuteAsync(
            """
            INSERT INTO sms_outbox (centre_id, reference, template, recipient, text, segments, created_at, next_attempt_at)
            VALUES (@CentreId, @Reference, @Template, @Recipient, @Text, @Segments, @CreatedAt, @CreatedAt)
            """, _sms);
    }

    private void Tell(string centreId, SmsMessage message) =>
        _sms.Add(SmsOutboxRow.For(centreId, message, Now));

    private void Write(string centreId, CentreEvent fact) => WriteRaw(centreId, fact.Kind, Encoding.UTF8.GetString(LedgerJson.SerializeToUtf8(fact)));

    private static TFact Accepted<TFact>(Decision<TFact> decision) where TFact : class =>
        decision.Fact ?? throw new InvalidOperationException($"The centre refused: {decision.Refusal}");

    /// <summary>A ledger row as text, any JSON value, even one the engine would never write.</summary>
    private sealed record RawFact(string CentreId, long Seq, string Kind, string Payload, DateTimeOffset RecordedAt);
}
