using Booking.Grains.Domain;
using static Booking.Domain.Tests.CentreState;

namespace Booking.Domain.Tests;

/// <summary>
/// <see cref="SupplyCutPlanner"/> on hand-made bookings, and <see cref="Centre.DecideChangeDelivery"/>
/// on the brief's case: a Paris centre (09:00-12:00, one-hour slots, two lines) whose pfizer
/// bookings span four weeks loses part of a delivery.
/// </summary>
public class SupplyCutTests
{
    // ---- the planner on its own (UTC days unless said otherwise) ---------------------------------

    private static readonly DateOnly Origin = T.Day("2027-01-01");

    private static DateOnly Utc(DateTimeOffset instant) => DateOnly.FromDateTime(instant.UtcDateTime);

    /// <summary>A pfizer booking; with <paramref name="givenOn"/> its single appointment is a dose 2.</summary>
    private static BookingRecord Rec(string reference, int number, DateOnly? givenOn, params string[] starts) =>
        new(reference, $"id-{reference}", $"bd-{reference}", "pfizer",
            starts.Select((s, i) => new Appointment(givenOn is null ? i + 1 : 2, T.At(s))).ToArray(),
            T.At("2027-01-01T00:00Z"), BookingStatus.Confirmed, number, 21, 49, givenOn);

    /// <summary>"postpone [refs] kept n".</summary>
    private static string Plan(DateTimeOffset now, (string Day, int Doses)[] deliveries, params BookingRecord[] bookings)
    {
        var plan = SupplyCutPlanner.Plan(Origin, deliveries.Select(d => (T.Day(d.Day), d.Doses)), bookings, [], Utc, now);
        return $"postpone [{string.Join(",", plan.Postpone.Select(b => b.Reference))}] kept {plan.Kept}";
    }

    [Fact]
    public void Given_appointments_count_then_started_and_second_only_bookings_then_booking_order()
    {
        var now = T.At("2027-01-10T12:00Z");
        var started = Rec("B1", 1, null, "2027-01-05T09:00Z", "2027-01-26T09:00Z");
        var early = Rec("B2", 2, null, "2027-01-11T09:00Z", "2027-02-01T09:00Z");
        var late = Rec("B3", 3, null, "2027-01-12T09:00Z", "2027-02-02T09:00Z");
        var secondOnly = Rec("B4", 4, T.Day("2026-12-20"), "2027-01-15T09:00Z");

        // 4 doses: B1's given dose, B1's second, B4's second; B2 would need a 5th.
        Assert.Equal("postpone [B2,B3] kept 2", Plan(now, [("2027-01-01", 4)], late, secondOnly, early, started));
        // 5 doses: B2 fits, B3 (booked later) does not.
        Assert.Equal("postpone [B3] kept 3", Plan(now, [("2027-01-01", 5)], started, early, late, secondOnly));
        // 3 doses: after B1 and B4 nothing else fits.
        Assert.Equal("postpone [B2,B3] kept 2", Plan(now, [("2027-01-01", 3)], started, early, late, secondOnly));
        // 2 doses: B1 keeps its second dose; the second-only booking B4 is the first one postponed.
        Assert.Equal("postpone [B4,B2,B3] kept 1", Plan(now, [("2027-01-01", 2)], started, early, late, secondOnly));
    }

    [Fact]
    public void An_appointment_starting_exactly_now_counts_as_given()
    {
        var now = T.At("2027-01-10T12:00Z");
        var plain = Rec("X", 1, null, "2027-01-11T09:00Z", "2027-02-01T09:00Z");
        var startingNow = Rec("Y", 2, null, "2027-01-10T12:00Z", "2027-01-31T12:00Z");

        Assert.Equal("postpone [X] kept 1", Plan(now, [("2027-01-01", 2)], plain, startingNow));
        Assert.Equal("postpone [Y] kept 1", Plan(now.AddTicks(-1), [("2027-01-01", 2)], plain, startingNow));
    }

    [Fact]
    public void A_booking_that_does_not_fit_is_skipped_and_a_later_one_that_fits_is_kept()
    {
        var now = T.At("2027-01-10T12:00Z");
        var b1 = Rec("B1", 1, null, "2027-01-11T09:00Z", "2027-02-01T09:00Z");
        var b2 = Rec("B2", 2, null, "2027-01-12T09:00Z", "2027-02-02T09:00Z");
        var b3 = Rec("B3", 3, null, "2027-02-03T09:00Z");

        Assert.Equal("postpone [B2] kept 2", Plan(now, [("2027-01-01", 1), ("2027-02-01", 2)], b1, b2, b3));
    }

    [Fact]
    public void Nothing_is_postponed_when_the_stock_covers_everything()
    {
        var now = T.At("2027-01-10T12:00Z");
        var bookings = new[]
        {
            Rec("B1", 1, null, "2027-01-05T09:00Z", "2027-01-26T09:00Z"),
            Rec("B2", 2, null, "2027-01-11T09:00Z", "2027-02-01T09:00Z"),
            Rec("B3", 3, T.Day("2026-12-20"), "2027-01-15T09:00Z"),
        };

        Assert.Equal("postpone [] kept 3", Plan(now, [("2027-01-01", 5)], bookings));
        // A delivery dated before the origin counts from the origin.
        Assert.Equal("postpone [] kept 3", Plan(now, [("2026-06-01", 3), ("2027-01-11", 2)], bookings));
        Assert.Equal("postpone [] kept 0", Plan(now, [("2027-01-01", 0)]));
    }

    [Fact]
    public void Days_are_the_centres_local_days()
    {
        var booking = Rec("B1", 1, null, "2027-01-10T23:30Z");
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var now = T.At("2027-01-01T00:00Z");
        var deliveries = new[] { (T.Day("2027-01-11"), 1) };

        Assert.Equal(["B1"], SupplyCutPlanner.Plan(Origin, deliveries, [booking], [], Utc, now).Postpone.Select(b => b.Reference));
        Assert.Empty(SupplyCutPlanner.Plan(Origin, deliveries, [booking], [],
            i => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(i, paris).DateTime), now).Postpone);
    }

    // ---- the brief's centre ----------------------------------------------------------------------

    private static readonly DateOnly Feb1 = T.Day("2027-02-01");
    private static readonly DateTimeOffset Now0 = T.At("2027-02-01T08:00+01:00");
    private static readonly DateTimeOffset Now1 = T.At("2027-03-01T08:00+01:00");
    private static readonly DateTimeOffset CutAt = T.At("2027-03-01T12:00+01:00");
    private static readonly DateOnly From = T.Day("2027-01-25");
    private static readonly DateOnly To = T.Day("2027-04-30");

    private static string[] N(params int[] numbers) => numbers.Select(n => $"N{n}").ToArray();

    /// <summary>
    /// Deliveries: 14 doses on 1 Feb, 20 on 8 Mar. E1-E5 (booked 1 Feb) had dose 1 on 15-19 Feb
    /// at 10:00, dose 2 on 8-12 Mar at 10:00. N1-N10 (booked 1 Mar) have dose 1 on 2-11 Mar at
    /// 09:00 and dose 2 21 days later. S1 and S2 (booked last) had dose 1 elsewhere on 20 Feb and
    /// come for dose 2 on 20 and 21 Mar at 11:00. W1 waits. 32 appointments, 34 doses.
    /// </summary>
    private static FactLog BriefCentre()
    {
        var log = FactLog.Configured(T.Settings(), Feb1, id: "c-brief");
        var c = log.Centre;
        log.Deliver("d-feb", "pfizer", Feb1, 14);
        log.Deliver("d-mar", "pfizer", T.Day("2027-03-08"), 20);
        for (var i = 0; i < 5; i++)
        {
            log.Book(T.Request($"E{i + 1}", "pfizer", S(c, T.Day("2027-02-15").AddDays(i), 10), S(c, T.Day("2027-03-08").AddDays(i), 10)), Now0);
        }
        for (var i = 0; i < 10; i++)
        {
            var first = T.Day("2027-03-02").AddDays(i);
            log.Book(T.Request($"N{i + 1}", "pfizer", S(c, first, 9), S(c, first.AddDays(21), 9)), Now1);
        }
        log.Accept(c.DecideSecondDose(new SecondDoseRequest("S1", "pfizer", T.Day("2027-02-20"), S(c, "2027-03-20", 11), "id-S1", "bd-S1"), Now1));
        log.Accept(c.DecideSecondDose(new SecondDoseRequest("S2", "pfizer", T.Day("2027-02-20"), S(c, "2027-03-21", 11), "id-S2", "bd-S2"), Now1));
        log.Join("wl-w1", "pfizer", "W1", Now1);
        return log;
    }

    [Fact]
    public void The_brief_centre_is_booked_as_described()
    {
        var c = BriefCentre().Centre;

        Assert.Equal(Enumerable.Range(1, 17), new[] { "E1", "E2", "E3", "E4", "E5" }.Concat(N(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)).Append("S1").Append("S2")
            .Select(r => c.FindBooking(r)!.Number));
        Assert.Equal(["2@2027-03-20T11:00:00+01:00"], Appointments(c.FindBooking("S1")!));
        Assert.Equal(["1@2027-03-11T09:00:00+01:00", "2@2027-04-01T09:00:00+02:00"], Appointments(c.FindBooking("N10")!));
        Assert.Equal(2, c.Stock("pfizer")!.AvailableFrom(T.Day("2027-03-01")));
        AssertConsistent(c, From, To);
    }

    public static TheoryData<string, int, string, DeliveryStatus, string[], int> Changes => new()
    {
        { "30 % cut", 14, "2027-03-08", DeliveryStatus.Confirmed, N(9, 10), 15 },
        { "15 % cut: one dose short, one pair moves", 17, "2027-03-08", DeliveryStatus.Confirmed, N(10), 16 },
        { "a week late", 20, "2027-03-15", DeliveryStatus.Confirmed, N(5, 6, 7, 8, 9, 10), 11 },
        { "only a forecast now", 20, "2027-03-08", DeliveryStatus.Forecast, N(2, 3, 4, 5, 6, 7, 8, 9, 10), 8 },
        { "10 % cut that still fits", 18, "2027-03-08", DeliveryStatus.Confirmed, [], 17 },
        { "a day early with more doses", 25, "2027-03-07", DeliveryStatus.Confirmed, [], 17 },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void A_delivery_change_postpones_the_fewest_latest_booked_first_doses(
        string change, int doses, string date, DeliveryStatus status, string[] postponed, int kept)
    {
        Assert.NotEmpty(change);
        var log = BriefCentre();
        var c = log.Centre;
        var changed = c.Deliveries["d-mar"] with { Doses = doses, Date = T.Day(date), Status = status };
        var before = Describe(c, From, To);

        var preview = c.DecideChangeDelivery(changed, apply: false, CutAt);

        if (postponed.Length > 0)
        {
            var refusal = T.Refused(preview);
            Assert.Equal(RefusalReason.SupplyShortfall, refusal.Reason);
            Assert.NotNull(refusal.Plan);
            Assert.Equal(postponed, refusal.Plan.Postpone.Select(b => b.Reference));
            Assert.Equal(kept, refusal.Plan.Kept);
        }
        else
        {
            Assert.Empty(T.Fact(preview).Postponed);
        }
        var plan = c.PlanSupply(changed, CutAt);
        Assert.Equal(postponed, plan.Postpone.Select(b => b.Reference));
        Assert.Equal(kept, plan.Kept);
        Assert.Equal(before, Describe(c, From, To));

        var applied = log.Accept(c.DecideChangeDelivery(changed, apply: true, CutAt));

        Assert.Equal(changed, applied.Delivery);
        Assert.Equal(postponed, applied.Postponed);
        Assert.Equal(CutAt, applied.At);
        Assert.Equal(changed, c.Deliveries["d-mar"]);
        foreach (var booking in c.Bookings)
        {
            Assert.Equal(postponed.Contains(booking.Reference) ? BookingStatus.Postponed : BookingStatus.Confirmed, booking.Status);
        }
        // Everyone who had dose 1 keeps dose 2 where it was.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(T.Iso(S(c, T.Day("2027-03-08").AddDays(i), 10)), T.Iso(c.FindBooking($"E{i + 1}")!.Dose(2)!.Start));
        }
        Assert.Null(c.Stock("pfizer")!.FirstShortDay());
        Assert.Equal(
            postponed.Select(r => $"wl-{r.ToLowerInvariant()} {r} id-{r} bd-{r} {T.Iso(CutAt)}").Append($"wl-w1 - id-W1 bd-W1 {T.Iso(Now1)}"),
            c.Waiting.Select(w => $"{w.Id} {w.PostponedReference ?? "-"} {w.IdentityKey} {w.BirthDateCheck} {T.Iso(w.JoinedAt)}"));
        AssertConsistent(c, From, To);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void The_30_percent_cut_in_detail()
    {
        var log = BriefCentre();
        var c = log.Centre;
        var stock = c.Stock("pfizer")!;
        var n9 = c.FindBooking("N9")!;
        Assert.Equal((1, 1, 2), (BookedAt(c, "2027-03-10", 9), BookedAt(c, "2027-03-31", 9), stock.BookedOn(T.Day("2027-03-10"))));

        log.Accept(c.DecideChangeDelivery(c.Deliveries["d-mar"] with { Doses = 14 }, apply: true, CutAt));

        // N9 keeps its appointments on record but holds neither seat nor dose.
        Assert.Equal(n9 with { Status = BookingStatus.Postponed }, c.FindBooking("N9"));
        Assert.Equal((0, 0, 1), (BookedAt(c, "2027-03-10", 9), BookedAt(c, "2027-03-31", 9), stock.BookedOn(T.Day("2027-03-10"))));
        Assert.Equal(1, BookedAt(c, "2027-03-10", 10));
        Assert.Equal((14, 0L), (stock.DeliveredOn(T.Day("2027-03-08")), stock.AvailableFrom(T.Day("2027-03-01"))));
        Assert.Equal(new WaitlistEntry("wl-n9", "pfizer", "id-N9", "bd-N9", CutAt, "N9"), c.Waiting[0]);
        Assert.Empty(c.FirstDoseSlots("pfizer", T.Day("2027-03-01"), T.Day("2027-03-29"), CutAt));
        // The postponed person is no longer an active booker here, but is already waiting.
        Assert.Equal(RefusalReason.OutOfStock, T.Refused(c.DecideBook(T.Request("again", "pfizer", S(c, "2027-03-02", 10), identity: "id-N9"), CutAt)).Reason);
        Assert.Equal("citizen", T.Refused(c.DecideJoinWaitlist(new WaitlistEntry("x", "pfizer", "id-N9", "bd-N9", CutAt))).Field);
        log.AssertRebuildsSame(From, To);
    }

    [Fact]
    public void Delivery_changes_are_validated()
    {
        var c = BriefCentre().Centre;
        var current = c.Deliveries["d-mar"];

        Assert.Equal(RefusalReason.DeliveryNotFound, T.Refused(c.DecideChangeDelivery(current with { Id = "d-x" }, true, CutAt)).Reason);
        Assert.Equal("vaccine", T.Refused(c.DecideChangeDelivery(current with { Vaccine = "janssen" }, true, CutAt)).Field);
        Assert.Equal("doses", T.Refused(c.DecideChangeDelivery(current with { Doses = -1 }, true, CutAt)).Field);
        Assert.Equal("date", T.Refused(c.DecideChangeDelivery(current with { Date = T.Day("2033-01-01") }, true, CutAt)).Field);
        Assert.Equal(RefusalReason.CentreNotFound,
            T.Refused(new Centre("nowhere", T.Catalog).DecideChangeDelivery(current, true, CutAt)).Reason);
    }

    // ---- what a postponement must not break ------------------------------------------------------

    /// <summary>
    /// A's dose 1 (2 Feb) was given from the only dose delivered on 1 Feb; the 20 Feb delivery that
    /// was to cover dose 2 is cancelled, so A is postponed. The planner counts the given dose
    /// ("appointments already given always count"); the stock must go on counting it after the
    /// plan is applied, or the engine promises a dose that was already injected.
    /// </summary>
    [Fact]
    public void A_postponed_booking_whose_first_dose_was_given_still_uses_that_dose()
    {
        var log = FactLog.Configured(T.Settings(), Feb1);
        var c = log.Centre;
        log.Deliver("d1", "pfizer", Feb1, 1);
        log.Deliver("d2", "pfizer", T.Day("2027-02-20"), 1);
        log.Book(T.Request("A", "pfizer", S(c, "2027-02-02", 9), S(c, "2027-02-23", 9)), Now0);
        var later = T.At("2027-02-10T08:00+01:00");

        var cut = log.Accept(c.DecideChangeDelivery(c.Deliveries["d2"] with { Doses = 0 }, apply: true, later));

        Assert.Equal(["A"], cut.Postponed);
        var stock = c.Stock("pfizer")!;
        // One dose delivered, one injected on 2 Feb: none left.
        Assert.Equal((1, 0L), (stock.BookedOn(T.Day("2027-02-02")), stock.AvailableFrom(T.Day("2027-02-10"))));
    }

    /// <summary>Quick vaccine (dose 2 after 2-3 days), 4 doses; A booked; W is offered the earliest pair
    /// (1 Mar 09:00 + 3 Mar 09:00), which holds the two other doses; then the delivery drops to 2.</summary>
    private static (FactLog Log, DateTimeOffset Now) CentreWithOpenOffer()
    {
        var now = T.At("2027-03-01T08:00+01:00");
        var log = FactLog.Configured(T.Settings(vaccines: ["quick", "janssen"]), T.Day("2027-03-01"));
        var c = log.Centre;
        log.Deliver("d-quick", "quick", T.Day("2027-03-01"), 4);
        log.Book(T.Request("A", "quick", S(c, "2027-03-02", 9), S(c, "2027-03-04", 9)), now);
        log.Join("wl-w", "quick", "W", now);
        var offer = log.Apply(c.DecideNextOffer("O1", now, TimeSpan.FromMinutes(15))!);
        Assert.Equal(["1@2027-03-01T09:00:00+01:00", "2@2027-03-03T09:00:00+01:00"], offer.Appointments.Select(a => $"{a.Dose}@{T.Iso(a.Start)}"));
        log.Accept(c.DecideChangeDelivery(c.Deliveries["d-quick"] with { Doses = 2 }, apply: true, now.AddMinutes(1)));
        return (log, now);
    }

    [Fact]
    public void A_supply_cut_with_an_open_offer_then_its_expiry_frees_nothing_twice()
    {
        var (log, now) = CentreWithOpenOffer();
        var c = log.Centre;

        foreach (var expired in c.DecideExpiries(now.AddMinutes(15)))
        {
            log.Apply(expired);
        }

        // 2 doses delivered, A holds both: nothing free, and no seat count below zero.
        Assert.Equal((0, 0, 0L), (BookedAt(c, "2027-03-01", 9), BookedAt(c, "2027-03-03", 9), c.Stock("quick")!.AvailableFrom(T.Day("2027-03-01"))));
        AssertConsistent(c, T.Day("2027-02-25"), T.Day("2027-03-10"));
    }

    [Fact]
    public void A_supply_cut_with_an_open_offer_then_its_acceptance_keeps_every_confirmed_appointment_covered()
    {
        var (log, now) = CentreWithOpenOffer();
        var c = log.Centre;

        var accepted = c.DecideAcceptOffer("wl-w", now.AddMinutes(2));
        if (accepted.Fact is { } fact)
        {
            log.Apply(fact);
        }

        // Whatever the answer, every confirmed appointment holds its seat and its dose (I1, I2).
        AssertConsistent(c, T.Day("2027-02-25"), T.Day("2027-03-10"));
    }
}
