using Booking.Grains.Domain;
using static Booking.Domain.Tests.CentreState;

namespace Booking.Domain.Tests;

/// <summary>
/// <see cref="Centre.DecideReschedule"/> on a Paris centre open 09:00-12:00 every day, one-hour
/// slots, two lines, offering pfizer (21-49 days) and janssen; it is Monday 1 March 2027, 08:00.
/// A booked pfizer on 2 Mar 09:00 and 23 Mar 09:00.
/// </summary>
public class RescheduleTests
{
    private static readonly DateOnly Today = T.Day("2027-03-01");
    private static readonly DateTimeOffset Now = T.At("2027-03-01T08:00+01:00");
    private static readonly DateOnly From = T.Day("2027-02-25");
    private static readonly DateOnly To = T.Day("2027-05-31");

    private static FactLog NewLog(int pfizer = 10, VaccineCatalog? catalog = null)
    {
        var log = FactLog.Configured(T.Settings(), Today, catalog);
        if (pfizer > 0)
        {
            log.Deliver("d-pfizer", "pfizer", Today, pfizer);
        }
        log.Deliver("d-janssen", "janssen", Today, 40);
        return log;
    }

    private static FactLog WithA(int pfizer = 10)
    {
        var log = NewLog(pfizer);
        log.Book(T.Request("A", "pfizer", S(log.Centre, "2027-03-02", 9), S(log.Centre, "2027-03-23", 9)), Now);
        return log;
    }

    /// <summary>Fills a slot with janssen bookings.</summary>
    private static void Fill(FactLog log, DateTimeOffset slot)
    {
        var i = 0;
        while (log.Centre.Remaining(T.Slot(log.Centre, slot)) > 0)
        {
            log.Book(T.Request($"fill-{slot:MMddHH}-{i++}", "janssen", slot), Now);
        }
    }

    private static string[] Moved(BookingRescheduled fact) => fact.Appointments.Select(a => $"{a.Dose}@{T.Iso(a.Start)}").ToArray();

    /// <summary>The decision is refused as expected and the centre looks exactly as before.</summary>
    private static Refusal AssertRefusedUnchanged(FactLog log, string reference, DateTimeOffset? first, DateTimeOffset? second, DateTimeOffset now)
    {
        var before = Describe(log.Centre, From, To);
        var refusal = T.Refused(log.Centre.DecideReschedule(reference, first, second, now));
        Assert.Equal(before, Describe(log.Centre, From, To));
        AssertConsistent(log.Centre, From, To);
        return refusal;
    }

    [Fact]
    public void Both_doses_move_together_and_free_their_old_seats_and_doses()
    {
        var log = WithA();
        var c = log.Centre;
        var a = c.FindBooking("A")!;

        var fact = log.Accept(c.DecideReschedule("A", S(c, "2027-03-04", 10), S(c, "2027-03-26", 11), Now));

        Assert.Equal(("A", Now), (fact.Reference, fact.At));
        Assert.Equal(["1@2027-03-04T10:00:00+01:00", "2@2027-03-26T11:00:00+01:00"], Moved(fact));
        var moved = c.FindBooking("A")!;
        Assert.Equal((BookingStatus.Confirmed, 1, 21, 49, Now, a.IdentityKey), (moved.Status, moved.Number, moved.MinIntervalDays, moved.MaxIntervalDays, moved.BookedAt, moved.IdentityKey));
        Assert.Equal((0, 0, 1, 1), (BookedAt(c, "2027-03-02", 9), BookedAt(c, "2027-03-23", 9), BookedAt(c, "2027-03-04", 10), BookedAt(c, "2027-03-26", 11)));
        var stock = c.Stock("pfizer")!;
        Assert.Equal((0, 0, 1, 1, 8L),
            (stock.BookedOn(T.Day("2027-03-02")), stock.BookedOn(T.Day("2027-03-23")), stock.BookedOn(T.Day("2027-03-04")), stock.BookedOn(T.Day("2027-03-26")), stock.AvailableFrom(Today)));
        Assert.Equal(RefusalReason.AlreadyBooked, T.Refused(c.DecideBook(T.Request("again", "janssen", S(c, "2027-03-05", 9), identity: a.IdentityKey), Now)).Reason);
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void A_full_slot_is_refused_and_nothing_changes()
    {
        var log = WithA();
        var c = log.Centre;
        Fill(log, S(c, "2027-03-04", 10));
        Fill(log, S(c, "2027-03-26", 11));

        Assert.Equal(RefusalReason.SlotFull, AssertRefusedUnchanged(log, "A", S(c, "2027-03-04", 10), null, Now).Reason);
        Assert.Equal(RefusalReason.SlotFull, AssertRefusedUnchanged(log, "A", S(c, "2027-03-05", 10), S(c, "2027-03-26", 11), Now).Reason);
        Assert.Equal(RefusalReason.SlotFull, AssertRefusedUnchanged(log, "A", null, S(c, "2027-03-26", 11), Now).Reason);
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-23T09:00:00+01:00"], Appointments(c.FindBooking("A")!));
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void The_bookings_own_seat_counts_as_free()
    {
        var log = WithA();
        var c = log.Centre;
        log.Book(T.Request("J", "janssen", S(c, "2027-03-02", 9)), Now);
        Assert.Equal(0, c.Remaining(T.Slot(c, S(c, "2027-03-02", 9))));

        var fact = log.Accept(c.DecideReschedule("A", null, S(c, "2027-03-24", 9), Now));

        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-24T09:00:00+01:00"], Moved(fact));
        Assert.Equal((2, 0, 1), (BookedAt(c, "2027-03-02", 9), BookedAt(c, "2027-03-23", 9), BookedAt(c, "2027-03-24", 9)));
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void Without_stock_the_move_is_refused_and_nothing_changes()
    {
        var log = NewLog(pfizer: 0);
        var c = log.Centre;
        log.Deliver("d-late", "pfizer", T.Day("2027-03-05"), 2);
        log.Book(T.Request("A", "pfizer", S(c, "2027-03-06", 9), S(c, "2027-03-27", 9)), Now);

        Assert.Equal(RefusalReason.OutOfStock, AssertRefusedUnchanged(log, "A", S(c, "2027-03-04", 9), null, Now).Reason);
        Assert.NotNull(c.DecideReschedule("A", S(c, "2027-03-05", 9), null, Now).Fact);
    }

    [Fact]
    public void The_second_dose_must_stay_inside_the_interval_and_the_first_inside_the_horizon()
    {
        var log = WithA();
        var c = log.Centre;

        var early = AssertRefusedUnchanged(log, "A", null, S(c, "2027-03-22", 9), Now);
        Assert.Equal((RefusalReason.Invalid, "secondDose"), (early.Reason, early.Field));
        Assert.Contains("21 to 49", early.Detail);
        Assert.Equal("secondDose", AssertRefusedUnchanged(log, "A", null, S(c, "2027-04-21", 9), Now).Field);
        Assert.Equal("secondDose", AssertRefusedUnchanged(log, "A", S(c, "2027-03-10", 9), S(c, "2027-03-30", 9), Now).Field);
        Assert.Equal("secondDose", AssertRefusedUnchanged(log, "A", null, T.At("2027-03-24T09:30+01:00"), Now).Field);
        Assert.Equal("firstDose", AssertRefusedUnchanged(log, "A", S(c, "2027-03-30", 9), null, Now).Field);
        Assert.Equal("firstDose", AssertRefusedUnchanged(log, "A", T.At("2027-03-04T09:30+01:00"), null, Now).Field);
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-23T09:00:00+01:00"], Appointments(c.FindBooking("A")!));

        // Both ends of the interval are fine.
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-04-20T09:00:00+02:00"], Moved(T.Fact(c.DecideReschedule("A", null, S(c, "2027-04-20", 9), Now))));
        Assert.Equal(["1@2027-03-03T09:00:00+01:00", "2@2027-03-24T11:00:00+01:00"], Moved(T.Fact(c.DecideReschedule("A", S(c, "2027-03-03", 9), S(c, "2027-03-24", 11), Now))));
    }

    [Fact]
    public void A_first_dose_already_given_cannot_move_but_the_second_can()
    {
        var log = WithA();
        var c = log.Centre;
        var later = T.At("2027-03-03T08:00+01:00");

        Assert.Equal("firstDose", AssertRefusedUnchanged(log, "A", S(c, "2027-03-05", 9), null, later).Field);
        Assert.Equal("firstDose", AssertRefusedUnchanged(log, "A", S(c, "2027-03-05", 9), null, S(c, "2027-03-02", 9)).Field);
        Assert.Equal("secondDose", AssertRefusedUnchanged(log, "A", null, S(c, "2027-03-22", 11), later).Field);

        var fact = log.Accept(c.DecideReschedule("A", null, S(c, "2027-03-25", 10), later));

        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-25T10:00:00+01:00"], Moved(fact));
        Assert.Equal((1, 0, 1), (BookedAt(c, "2027-03-02", 9), BookedAt(c, "2027-03-23", 9), BookedAt(c, "2027-03-25", 10)));
        Assert.Equal(1, c.Stock("pfizer")!.BookedOn(T.Day("2027-03-02")));
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void A_second_dose_only_booking_moves_inside_the_interval_from_the_dose_given_elsewhere()
    {
        var log = NewLog();
        var c = log.Centre;
        log.Accept(c.DecideSecondDose(new SecondDoseRequest("S", "pfizer", T.Day("2027-02-20"), S(c, "2027-03-15", 9), "id-S", "bd-S"), Now));

        Assert.Equal("firstDose", AssertRefusedUnchanged(log, "S", S(c, "2027-03-05", 9), null, Now).Field);
        Assert.Equal("secondDose", AssertRefusedUnchanged(log, "S", null, S(c, "2027-03-12", 9), Now).Field);
        Assert.Equal("secondDose", AssertRefusedUnchanged(log, "S", null, S(c, "2027-04-11", 9), Now).Field);

        var fact = log.Accept(c.DecideReschedule("S", null, S(c, "2027-04-10", 11), Now));

        Assert.Equal(["2@2027-04-10T11:00:00+02:00"], Moved(fact));
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void With_a_moved_first_dose_and_no_second_the_engine_picks_it()
    {
        var log = WithA();
        var c = log.Centre;

        // Earliest day at the minimum interval, same time of day.
        Assert.Equal(["1@2027-03-05T11:00:00+01:00", "2@2027-03-26T11:00:00+01:00"], Moved(T.Fact(c.DecideReschedule("A", S(c, "2027-03-05", 11), null, Now))));

        // That time is full: the nearest free time of day.
        Fill(log, S(c, "2027-03-26", 11));
        Assert.Equal(["1@2027-03-05T11:00:00+01:00", "2@2027-03-26T10:00:00+01:00"], Moved(T.Fact(c.DecideReschedule("A", S(c, "2027-03-05", 11), null, Now))));

        // The whole day is full: the next day.
        Fill(log, S(c, "2027-03-26", 9));
        Fill(log, S(c, "2027-03-26", 10));
        var fact = log.Accept(c.DecideReschedule("A", S(c, "2027-03-05", 11), null, Now));
        Assert.Equal(["1@2027-03-05T11:00:00+01:00", "2@2027-03-27T11:00:00+01:00"], Moved(fact));

        // Not moving the first dose keeps the second where it is.
        Assert.Equal(["1@2027-03-05T11:00:00+01:00", "2@2027-03-27T11:00:00+01:00"], Moved(T.Fact(c.DecideReschedule("A", null, null, Now))));
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void Unknown_cancelled_and_offered_bookings_cannot_be_rescheduled()
    {
        var log = WithA();
        var c = log.Centre;
        log.Join("wl-w", "pfizer", "W", Now);
        var offer = log.Apply(c.DecideNextOffer("O1", Now, TimeSpan.FromMinutes(15))!);
        log.Accept(c.DecideCancel("A", Now));

        Assert.Equal(RefusalReason.BookingNotFound, AssertRefusedUnchanged(log, "nope", null, null, Now).Reason);
        Assert.Equal(RefusalReason.NotActive, AssertRefusedUnchanged(log, "A", S(c, "2027-03-05", 9), null, Now).Reason);
        Assert.Equal(RefusalReason.BookingNotFound, AssertRefusedUnchanged(log, offer.Reference, S(c, "2027-03-05", 9), null, Now).Reason);
        Assert.Equal(RefusalReason.BookingNotFound, T.Refused(c.DecideCancel(offer.Reference, Now)).Reason);
    }

    // ---- postponed bookings ----------------------------------------------------------------------

    private static readonly DateTimeOffset CutAt = T.At("2027-03-01T08:30+01:00");

    /// <summary>4 pfizer doses; A (2 and 23 Mar, 09:00) and B (3 and 24 Mar, 09:00) booked, W waiting;
    /// the delivery drops to 2 doses and B is postponed.</summary>
    private static FactLog WithPostponedB()
    {
        var log = WithA(pfizer: 4);
        var c = log.Centre;
        log.Book(T.Request("B", "pfizer", S(c, "2027-03-03", 9), S(c, "2027-03-24", 9)), Now);
        log.Join("wl-w", "pfizer", "W", Now);
        var cut = log.Accept(c.DecideChangeDelivery(c.Deliveries["d-pfizer"] with { Doses = 2 }, apply: true, CutAt));
        Assert.Equal(["B"], cut.Postponed);
        Assert.Equal(["wl-b", "wl-w"], c.Waiting.Select(w => w.Id));
        return log;
    }

    [Fact]
    public void A_postponed_booking_is_rescheduled_into_its_old_slots_once_doses_arrive_and_is_confirmed_again()
    {
        var log = WithPostponedB();
        var c = log.Centre;

        Assert.Equal(RefusalReason.OutOfStock, AssertRefusedUnchanged(log, "B", null, null, CutAt).Reason);
        Assert.Equal(BookingStatus.Postponed, c.FindBooking("B")!.Status);

        log.Deliver("d-more", "pfizer", Today, 2);
        var fact = log.Accept(c.DecideReschedule("B", null, null, CutAt));

        Assert.Equal(["1@2027-03-03T09:00:00+01:00", "2@2027-03-24T09:00:00+01:00"], Moved(fact));
        Assert.Equal(BookingStatus.Confirmed, c.FindBooking("B")!.Status);
        Assert.Equal(["wl-w"], c.Waiting.Select(w => w.Id));
        Assert.Equal((1, 1), (BookedAt(c, "2027-03-03", 9), BookedAt(c, "2027-03-24", 9)));
        Assert.Equal(RefusalReason.AlreadyBooked, T.Refused(c.DecideJoinWaitlist(new WaitlistEntry("x", "pfizer", "id-B", "bd-B", CutAt))).Reason);
        Assert.Equal(0, c.Stock("pfizer")!.AvailableFrom(Today));
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void A_postponed_booking_is_rescheduled_into_new_slots()
    {
        var log = WithPostponedB();
        var c = log.Centre;
        log.Deliver("d-more", "pfizer", Today, 2);

        var fact = log.Accept(c.DecideReschedule("B", S(c, "2027-03-05", 10), null, CutAt));

        Assert.Equal(["1@2027-03-05T10:00:00+01:00", "2@2027-03-26T10:00:00+01:00"], Moved(fact));
        Assert.Equal(BookingStatus.Confirmed, c.FindBooking("B")!.Status);
        Assert.Equal((0, 0, 1, 1), (BookedAt(c, "2027-03-03", 9), BookedAt(c, "2027-03-24", 9), BookedAt(c, "2027-03-05", 10), BookedAt(c, "2027-03-26", 10)));
        Assert.DoesNotContain(c.Waiting, w => w.PostponedReference == "B");
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void Cancelling_a_postponed_booking_drops_its_waitlist_place()
    {
        var log = WithPostponedB();
        var c = log.Centre;

        log.Accept(c.DecideCancel("B", CutAt));

        Assert.Equal(BookingStatus.Cancelled, c.FindBooking("B")!.Status);
        Assert.Equal(["wl-w"], c.Waiting.Select(w => w.Id));
        log.AssertRebuildsSame(From, To);
    }

    /// <summary>
    /// After the postponement B's holder is no longer an active booker, so they book again (janssen).
    /// Rescheduling the postponed pfizer booking would then give them two active bookings (I4).
    /// </summary>
    [Fact]
    public void A_postponed_booking_is_not_revived_for_someone_who_booked_again_meanwhile()
    {
        var log = WithPostponedB();
        var c = log.Centre;
        log.Book(T.Request("B2", "janssen", S(c, "2027-03-04", 9), identity: "id-B"), CutAt);
        log.Deliver("d-more", "pfizer", Today, 2);

        var decision = c.DecideReschedule("B", null, null, CutAt);

        Assert.Equal(RefusalReason.AlreadyBooked, decision.Refusal?.Reason);
    }

    // ---- the interval a booking was made with --------------------------------------------------

    private static VaccineCatalog CatalogWithPfizer(int min, int max) => new(
        [new Vaccine("pfizer", "Pfizer-BioNTech", "208", 6, 2, min, max), VaccineCatalog.Default["janssen"]]);

    [Fact]
    public void A_booking_keeps_its_interval_when_the_catalogue_changes()
    {
        // Booked under the January 2021 rule (21-28 days); the centre then restarts with the April rule (42-49 days).
        var log = NewLog(catalog: CatalogWithPfizer(21, 28));
        log.Book(T.Request("A", "pfizer", S(log.Centre, "2027-03-02", 9)), Now);
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-23T09:00:00+01:00"], Appointments(log.Centre.FindBooking("A")!));

        var c = log.Rebuild(CatalogWithPfizer(42, 49));

        Assert.Equal(Describe(log.Centre, From, To), Describe(c, From, To));
        Assert.Equal((21, 28), (c.FindBooking("A")!.MinIntervalDays, c.FindBooking("A")!.MaxIntervalDays));
        Assert.Equal(["1@2027-03-02T09:00:00+01:00", "2@2027-03-30T09:00:00+02:00"], Moved(T.Fact(c.DecideReschedule("A", null, S(c, "2027-03-30", 9), Now))));
        var tooLate = T.Refused(c.DecideReschedule("A", null, S(c, "2027-03-31", 9), Now));
        Assert.Equal(("secondDose", true), (tooLate.Field, tooLate.Detail.Contains("21 to 28")));
        Assert.Equal("secondDose", T.Refused(c.DecideReschedule("A", S(c, "2027-03-04", 10), S(c, "2027-04-15", 10), Now)).Field);
        Assert.Equal(["1@2027-03-04T10:00:00+01:00", "2@2027-03-25T10:00:00+01:00"], Moved(T.Fact(c.DecideReschedule("A", S(c, "2027-03-04", 10), null, Now))));

        // A new booking follows the new rule.
        var fresh = T.Fact(c.DecideBook(T.Request("N", "pfizer", S(c, "2027-03-02", 10)), Now)).Booking;
        Assert.Equal(["1@2027-03-02T10:00:00+01:00", "2@2027-04-13T10:00:00+02:00"], Appointments(fresh));
        Assert.Equal((42, 49), (fresh.MinIntervalDays, fresh.MaxIntervalDays));
    }
}
