using Booking.Grains.Domain;
using static Booking.Domain.Tests.CentreState;

namespace Booking.Domain.Tests;

/// <summary>
/// The waitlist on a Paris centre open 09:00-12:00 every day, one-hour slots, offering "quick"
/// (dose 2 after 2-3 days) and janssen; it is Monday 1 March 2027, 08:00.
/// </summary>
public class WaitlistTests
{
    private static readonly DateOnly Today = T.Day("2027-03-01");
    private static readonly DateTimeOffset Now = T.At("2027-03-01T08:00+01:00");
    private static readonly DateOnly From = T.Day("2027-02-25");
    private static readonly DateOnly To = T.Day("2027-04-10");
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(15);

    private static FactLog NewLog(int lines = 1, int quick = 10)
    {
        var log = FactLog.Configured(T.Settings(lines: lines, vaccines: ["quick", "janssen"]), Today);
        if (quick > 0)
        {
            log.Deliver("d-quick", "quick", Today, quick);
        }
        log.Deliver("d-janssen", "janssen", Today, 40);
        return log;
    }

    private static void FillDay(FactLog log, string day)
    {
        foreach (var start in log.Centre.Calendar.Day(T.Day(day)).Starts)
        {
            var i = 0;
            while (log.Centre.Remaining(T.Slot(log.Centre, start)) > 0)
            {
                log.Book(T.Request($"fill-{start:MMddHH}-{i++}", "janssen", start), Now);
            }
        }
    }

    private static string[] Pair(IEnumerable<Appointment> appointments) => appointments.Select(a => $"{a.Dose}@{T.Iso(a.Start)}").ToArray();

    private static WaitlistEntry Entry(string id, string vaccine, string who, string? postponed = null) =>
        new(id, vaccine, $"id-{who}", $"bd-{who}", Now, postponed);

    // ---- joining ---------------------------------------------------------------------------------

    [Fact]
    public void Joining_is_refused_for_a_missing_centre_a_vaccine_not_offered_someone_booked_here_or_already_waiting()
    {
        var log = NewLog();
        var c = log.Centre;
        log.Book(T.Request("A", "janssen", S(c, "2027-03-02", 9)), Now);
        var joined = log.Join("wl-w", "quick", "W", Now);
        Assert.Equal(Entry("wl-w", "quick", "W"), joined);
        var before = Describe(c, From, To);

        Assert.Equal(RefusalReason.CentreNotFound, T.Refused(new Centre("nowhere", T.Catalog).DecideJoinWaitlist(Entry("x", "quick", "X"))).Reason);
        Assert.Equal((RefusalReason.Invalid, "vaccine"), Reason(c.DecideJoinWaitlist(Entry("x", "pfizer", "X"))));
        Assert.Equal((RefusalReason.Invalid, "vaccine"), Reason(c.DecideJoinWaitlist(Entry("x", "sputnik", "X"))));
        Assert.Equal((RefusalReason.AlreadyBooked, null), Reason(c.DecideJoinWaitlist(Entry("x", "quick", "A"))));
        Assert.Equal((RefusalReason.Invalid, "citizen"), Reason(c.DecideJoinWaitlist(Entry("x", "janssen", "W"))));
        Assert.Equal(before, Describe(c, From, To));

        Assert.Equal(new WaitlistJoined(Entry("wl-x", "janssen", "X")), T.Fact(c.DecideJoinWaitlist(Entry("wl-x", "janssen", "X"))));
    }

    private static (RefusalReason, string?) Reason(Decision<WaitlistJoined> decision) => (T.Refused(decision).Reason, T.Refused(decision).Field);

    // ---- offers ----------------------------------------------------------------------------------

    /// <summary>3 and 4 March are full, so a first dose on 1 March has no second dose (I6); the
    /// earliest pair is 2 March 09:00 with 5 March 09:00.</summary>
    private static FactLog WithFullDaysAndQ1()
    {
        var log = NewLog();
        FillDay(log, "2027-03-03");
        FillDay(log, "2027-03-04");
        log.Join("wl-q1", "quick", "Q1", Now);
        return log;
    }

    [Fact]
    public void The_offer_is_the_earliest_pair_a_booking_could_take_and_holds_its_seats_and_doses()
    {
        var log = WithFullDaysAndQ1();
        var c = log.Centre;
        Assert.Equal(T.Iso(S(c, "2027-03-02", 9)), T.Iso(c.FirstDoseSlots("quick", Today, To, Now)[0].Start));
        var probe = T.Fact(c.DecideBook(T.Request("probe", "quick", S(c, "2027-03-02", 9)), Now)).Booking;

        var offer = c.DecideNextOffer("O1", Now, Hold)!;

        Assert.Equal(("wl-q1", "O1", Now, Now + Hold), (offer.EntryId, offer.Reference, offer.At, offer.ExpiresAt));
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-05T09:00:00+01:00"], Pair(offer.Appointments));
        Assert.Equal(Pair(probe.Appointments), Pair(offer.Appointments));

        log.Apply(offer);

        Assert.Equal((1, 1), (BookedAt(c, "2027-03-02", 9), BookedAt(c, "2027-03-05", 9)));
        Assert.Equal((1, 1, 8L), (c.Stock("quick")!.BookedOn(T.Day("2027-03-02")), c.Stock("quick")!.BookedOn(T.Day("2027-03-05")), c.Stock("quick")!.AvailableFrom(Today)));
        Assert.DoesNotContain(c.FirstDoseSlots("quick", Today, To, Now), s => s.Start == S(c, "2027-03-02", 9));
        Assert.DoesNotContain(c.SecondDoseSlots("quick", S(c, "2027-03-02", 10)), s => s.Start == S(c, "2027-03-05", 9));
        var held = c.FindBooking("O1")!;
        Assert.Equal(("id-Q1", "bd-Q1", "quick", BookingStatus.Offered, 7, 2, 3, Now),
            (held.IdentityKey, held.BirthDateCheck, held.Vaccine, held.Status, held.Number, held.MinIntervalDays, held.MaxIntervalDays, held.BookedAt));
        Assert.Equal(new WaitlistOffer(Entry("wl-q1", "quick", "Q1"), "O1", Now + Hold), c.FindOffer("wl-q1"));
        Assert.Equal(["wl-q1"], c.Waiting.Select(w => w.Id));
        Assert.Null(c.DecideNextOffer("O2", Now, Hold));
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void A_held_seat_is_not_shown_when_capacity_is_one()
    {
        var log = NewLog();
        var c = log.Centre;
        log.Join("wl-j", "janssen", "J", Now);

        var offer = log.Apply(c.DecideNextOffer("O1", Now, Hold)!);

        Assert.Equal(["1@2027-03-01T09:00:00+01:00"], Pair(offer.Appointments));
        Assert.Equal(0, c.Remaining(T.Slot(c, S(c, "2027-03-01", 9))));
        Assert.Equal(T.Iso(S(c, "2027-03-01", 10)), T.Iso(c.FirstDoseSlots("janssen", Today, Today, Now)[0].Start));
        Assert.Equal(RefusalReason.SlotFull, T.Refused(c.DecideBook(T.Request("X", "janssen", S(c, "2027-03-01", 9)), Now)).Reason);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void Only_the_first_waiting_person_of_each_vaccine_is_considered()
    {
        var log = NewLog(quick: 0);
        var c = log.Centre;
        log.Join("wl-q1", "quick", "Q1", Now);
        log.Join("wl-q2", "quick", "Q2", Now);
        log.Join("wl-j1", "janssen", "J1", Now);

        // No quick doses: Q1 cannot be served, Q2 is not considered ahead of them, J1 is.
        var offer = log.Apply(c.DecideNextOffer("O1", Now, Hold)!);
        Assert.Equal("wl-j1", offer.EntryId);
        Assert.Equal(["1@2027-03-01T09:00:00+01:00"], Pair(offer.Appointments));
        Assert.Null(c.DecideNextOffer("O2", Now, Hold));

        log.Deliver("d-quick", "quick", Today, 10);
        var q1 = log.Apply(c.DecideNextOffer("O3", Now, Hold)!);
        Assert.Equal("wl-q1", q1.EntryId);
        Assert.Equal(["1@2027-03-01T10:00:00+01:00", "2@2027-03-03T10:00:00+01:00"], Pair(q1.Appointments));
        // With Q1's offer open, Q2 is next in line for quick.
        var q2 = log.Apply(c.DecideNextOffer("O4", Now, Hold)!);
        Assert.Equal("wl-q2", q2.EntryId);
        Assert.Equal(["1@2027-03-01T11:00:00+01:00", "2@2027-03-03T11:00:00+01:00"], Pair(q2.Appointments));
        Assert.Null(c.DecideNextOffer("O5", Now, Hold));
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void Nobody_is_offered_anything_on_a_missing_centre_or_an_empty_waitlist()
    {
        Assert.Null(new Centre("nowhere", T.Catalog).DecideNextOffer("O1", Now, Hold));
        Assert.Null(NewLog().Centre.DecideNextOffer("O1", Now, Hold));
    }

    // ---- expiry, acceptance, decline ----------------------------------------------------------

    /// <summary>Q1 is offered 2 Mar 09:00 + 5 Mar 09:00 for 10 minutes, J1 1 Mar 09:00 for 20 minutes.</summary>
    private static FactLog WithTwoOffers()
    {
        var log = WithFullDaysAndQ1();
        var c = log.Centre;
        log.Join("wl-j1", "janssen", "J1", Now);
        log.Apply(c.DecideNextOffer("O1", Now, TimeSpan.FromMinutes(10))!);
        log.Apply(c.DecideNextOffer("O2", Now, TimeSpan.FromMinutes(20))!);
        Assert.Equal(["wl-j1 O2", "wl-q1 O1"], c.Offers.Select(o => $"{o.Entry.Id} {o.Reference}").Order(StringComparer.Ordinal));
        return log;
    }

    private static string[] Ended(IEnumerable<WaitlistOfferEnded> ended) =>
        ended.Select(e => $"{e.EntryId} {e.Outcome} {T.Iso(e.At)}").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Offers_expire_when_their_hold_is_over_and_free_what_they_held()
    {
        var log = WithTwoOffers();
        var c = log.Centre;

        Assert.Empty(c.DecideExpiries(Now.AddMinutes(9)));
        Assert.Equal(["wl-q1 Expired 2027-03-01T08:10:00+01:00"], Ended(c.DecideExpiries(Now.AddMinutes(10))));
        Assert.Equal(["wl-j1 Expired 2027-03-01T08:25:00+01:00", "wl-q1 Expired 2027-03-01T08:25:00+01:00"], Ended(c.DecideExpiries(Now.AddMinutes(25))));

        foreach (var ended in c.DecideExpiries(Now.AddMinutes(10)))
        {
            log.Apply(ended);
        }

        Assert.Equal(BookingStatus.Cancelled, c.FindBooking("O1")!.Status);
        Assert.Null(c.FindOffer("wl-q1"));
        Assert.Equal(["wl-j1"], c.Waiting.Select(w => w.Id));
        Assert.Equal((0, 0, 10L), (BookedAt(c, "2027-03-02", 9), BookedAt(c, "2027-03-05", 9), c.Stock("quick")!.AvailableFrom(Today)));
        Assert.Contains(c.FirstDoseSlots("quick", Today, To, Now.AddMinutes(10)), s => s.Start == S(c, "2027-03-02", 9));
        Assert.Equal(RefusalReason.WaitlistEntryNotFound, T.Refused(c.DecideAcceptOffer("wl-q1", Now.AddMinutes(5))).Reason);
        // Q1 may join again.
        Assert.NotNull(c.DecideJoinWaitlist(Entry("wl-q1b", "quick", "Q1")).Fact);
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void An_accepted_offer_becomes_a_confirmed_booking_of_an_active_person()
    {
        var log = WithTwoOffers();
        var c = log.Centre;

        Assert.Equal(RefusalReason.WaitlistEntryNotFound, T.Refused(c.DecideAcceptOffer("wl-q1", Now.AddMinutes(10))).Reason);
        Assert.Equal(RefusalReason.WaitlistEntryNotFound, T.Refused(c.DecideAcceptOffer("wl-nobody", Now)).Reason);
        var accepted = log.Accept(c.DecideAcceptOffer("wl-q1", Now.AddMinutes(9)));

        Assert.Equal(new WaitlistOfferEnded("wl-q1", OfferOutcome.Accepted, Now.AddMinutes(9)), accepted);
        var booking = c.FindBooking("O1")!;
        Assert.Equal(BookingStatus.Confirmed, booking.Status);
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-05T09:00:00+01:00"], Appointments(booking));
        Assert.Equal((1, 1), (BookedAt(c, "2027-03-02", 9), BookedAt(c, "2027-03-05", 9)));
        Assert.Equal(["wl-j1"], c.Waiting.Select(w => w.Id));
        Assert.Equal(["wl-j1"], c.Offers.Select(o => o.Entry.Id));
        Assert.Equal(RefusalReason.AlreadyBooked, T.Refused(c.DecideBook(T.Request("again", "janssen", S(c, "2027-03-06", 9), identity: "id-Q1"), Now)).Reason);
        Assert.Equal(RefusalReason.AlreadyBooked, T.Refused(c.DecideJoinWaitlist(Entry("again", "quick", "Q1"))).Reason);
        Assert.Empty(c.DecideExpiries(Now.AddMinutes(15)));
        // The accepted booking is an ordinary one now: it can be rescheduled and cancelled.
        Assert.NotNull(c.DecideReschedule("O1", S(c, "2027-03-02", 10), null, Now).Fact);
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void An_offer_is_not_accepted_by_someone_who_booked_meanwhile()
    {
        var log = WithTwoOffers();
        var c = log.Centre;
        log.Book(T.Request("elsewhere", "janssen", S(c, "2027-03-06", 9), identity: "id-Q1"), Now);

        Assert.Equal(RefusalReason.AlreadyBooked, T.Refused(c.DecideAcceptOffer("wl-q1", Now.AddMinutes(1))).Reason);
    }

    [Fact]
    public void A_declined_offer_frees_its_hold_and_leaves_the_waitlist()
    {
        var log = WithTwoOffers();
        var c = log.Centre;

        Assert.Equal(RefusalReason.WaitlistEntryNotFound, T.Refused(c.DecideDeclineOffer("wl-nobody", Now)).Reason);
        var declined = log.Accept(c.DecideDeclineOffer("wl-j1", Now.AddMinutes(1)));

        Assert.Equal(new WaitlistOfferEnded("wl-j1", OfferOutcome.Declined, Now.AddMinutes(1)), declined);
        Assert.Equal(BookingStatus.Cancelled, c.FindBooking("O2")!.Status);
        Assert.Equal(0, BookedAt(c, "2027-03-01", 9));
        Assert.Equal(34L, c.Stock("janssen")!.AvailableFrom(Today)); // 40 delivered, 6 fill-ins
        Assert.Equal(["wl-q1"], c.Waiting.Select(w => w.Id));
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    // ---- postponed people ------------------------------------------------------------------------

    private static readonly DateTimeOffset CutAt = T.At("2027-03-01T08:30+01:00");

    [Fact]
    public void A_postponed_person_is_served_first_and_accepting_cancels_the_postponed_booking()
    {
        var log = NewLog(lines: 2, quick: 4);
        var c = log.Centre;
        log.Book(T.Request("A", "quick", S(c, "2027-03-02", 9), S(c, "2027-03-04", 9)), Now);
        log.Book(T.Request("B", "quick", S(c, "2027-03-02", 10), S(c, "2027-03-04", 10)), Now);
        log.Join("wl-w", "quick", "W", Now);
        log.Accept(c.DecideChangeDelivery(c.Deliveries["d-quick"] with { Doses = 2 }, apply: true, CutAt));
        Assert.Equal([new WaitlistEntry("wl-b", "quick", "id-B", "bd-B", CutAt, "B"), Entry("wl-w", "quick", "W")], c.Waiting);
        Assert.Null(c.DecideNextOffer("O0", CutAt, Hold));
        log.Deliver("d-more", "quick", Today, 2);

        var offer = log.Apply(c.DecideNextOffer("O1", CutAt, Hold)!);

        Assert.Equal("wl-b", offer.EntryId);
        Assert.Equal(["1@2027-03-01T09:00:00+01:00", "2@2027-03-03T09:00:00+01:00"], Pair(offer.Appointments));
        Assert.Equal(BookingStatus.Postponed, c.FindBooking("B")!.Status);
        Assert.Equal(["wl-b", "wl-w"], c.Waiting.Select(w => w.Id));

        log.Accept(c.DecideAcceptOffer("wl-b", CutAt.AddMinutes(1)));

        Assert.Equal((BookingStatus.Confirmed, BookingStatus.Cancelled), (c.FindBooking("O1")!.Status, c.FindBooking("B")!.Status));
        Assert.Equal(["wl-w"], c.Waiting.Select(w => w.Id));
        Assert.Equal((1, 1, 0, 0), (BookedAt(c, "2027-03-01", 9), BookedAt(c, "2027-03-03", 9), BookedAt(c, "2027-03-02", 10), BookedAt(c, "2027-03-04", 10)));
        Assert.Equal(RefusalReason.AlreadyBooked, T.Refused(c.DecideJoinWaitlist(Entry("again", "quick", "B"))).Reason);
        Assert.Equal(RefusalReason.NotActive, T.Refused(c.DecideReschedule("B", null, null, CutAt)).Reason);
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void A_postponed_persons_expired_offer_keeps_the_postponed_booking_but_not_the_waitlist_place()
    {
        var log = NewLog(lines: 2, quick: 4);
        var c = log.Centre;
        log.Book(T.Request("A", "quick", S(c, "2027-03-02", 9), S(c, "2027-03-04", 9)), Now);
        log.Book(T.Request("B", "quick", S(c, "2027-03-02", 10), S(c, "2027-03-04", 10)), Now);
        log.Accept(c.DecideChangeDelivery(c.Deliveries["d-quick"] with { Doses = 2 }, apply: true, CutAt));
        log.Deliver("d-more", "quick", Today, 2);
        log.Apply(c.DecideNextOffer("O1", CutAt, Hold)!);

        foreach (var ended in c.DecideExpiries(CutAt + Hold))
        {
            log.Apply(ended);
        }

        Assert.Equal((BookingStatus.Cancelled, BookingStatus.Postponed), (c.FindBooking("O1")!.Status, c.FindBooking("B")!.Status));
        Assert.Empty(c.Waiting);
        Assert.Equal(2, c.Stock("quick")!.AvailableFrom(Today));
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }
}
