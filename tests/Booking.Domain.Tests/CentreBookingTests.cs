using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

/// <summary>
/// A Paris centre open 09:00-12:00 every day, one-hour slots (09:00, 10:00, 11:00), two lines,
/// offering pfizer and janssen; "today" is Monday 1 March 2027 and it is 08:00.
/// </summary>
public class CentreBookingTests
{
    private static readonly DateOnly Today = T.Day("2027-03-01");
    private static readonly DateTimeOffset Now = T.At("2027-03-01T08:00+01:00");
    private static readonly DateTimeOffset First = T.At("2027-03-02T09:00+01:00");
    private static readonly DateTimeOffset Second = T.At("2027-03-23T10:00+01:00");

    private static Centre NewCentre(int lines = 2, IReadOnlyList<string>? vaccines = null, bool bookForecast = false,
        IReadOnlyList<DateOnly>? closed = null) =>
        T.Configured(T.Settings(lines: lines, vaccines: vaccines, bookForecast: bookForecast, closed: closed), Today);

    private static Centre Stocked(int pfizer = 10, int janssen = 10, int lines = 2, IReadOnlyList<string>? vaccines = null)
    {
        var centre = NewCentre(lines, vaccines);
        if (pfizer > 0)
        {
            T.Deliver(centre, "pfizer", Today, pfizer);
        }
        if (janssen > 0)
        {
            T.Deliver(centre, "janssen", Today, janssen);
        }
        return centre;
    }

    /// <summary>Fills a slot with janssen bookings (janssen shares the seats, not the pfizer stock).</summary>
    private static void Fill(Centre centre, DateTimeOffset slot, string tag = "fill")
    {
        var i = 0;
        while (centre.Remaining(T.Slot(centre, slot)) > 0)
        {
            T.Book(centre, T.Request($"{tag}-{slot:MMddHHmm}-{i++}", "janssen", slot), Now);
        }
    }

    private static void AssertInvalid(Decision<PairBooked> decision, string field)
    {
        var refusal = T.Refused(decision);
        Assert.Equal(RefusalReason.Invalid, refusal.Reason);
        Assert.Equal(field, refusal.Field);
    }

    private static void AssertRefused(Decision<PairBooked> decision, RefusalReason reason) =>
        Assert.Equal(reason, T.Refused(decision).Reason);

    // ---- configuration and deliveries ---------------------------------------------------------

    [Fact]
    public void Configuring_fixes_the_stock_origin_180_days_back_once()
    {
        var centre = new Centre("c", T.Catalog);
        var configured = T.Fact(centre.DecideConfigure(T.Settings(), Today));
        Assert.Equal(T.Day("2026-09-02"), configured.StockOrigin);
        Assert.False(centre.Exists);

        centre.Apply(configured);
        Assert.True(centre.Exists);
        T.Deliver(centre, "pfizer", Today, 1);
        Assert.Equal(T.Day("2026-09-02"), centre.Stock("pfizer")!.Origin);

        var again = T.Fact(centre.DecideConfigure(T.Settings(lines: 3), T.Day("2027-06-01")));
        Assert.Equal(T.Day("2026-09-02"), again.StockOrigin);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_their_field()
    {
        var centre = new Centre("c", T.Catalog);

        Assert.Equal("lines", T.Refused(centre.DecideConfigure(T.Settings(lines: 0), Today)).Field);
        Assert.Equal("timeZone", T.Refused(centre.DecideConfigure(T.Settings(zone: "Mars/Olympus"), Today)).Field);
        Assert.Equal("vaccines", T.Refused(centre.DecideConfigure(T.Settings(vaccines: ["sputnik"]), Today)).Field);
        Assert.False(centre.Exists);
    }

    [Fact]
    public void Deliveries_are_validated()
    {
        var centre = NewCentre();
        var origin = T.Day("2026-09-02");

        Assert.Equal("vaccine", T.Refused(centre.DecideDelivery(new("x1", "sputnik", Today, 5, DeliveryStatus.Confirmed))).Field);
        Assert.Equal("doses", T.Refused(centre.DecideDelivery(new("x2", "pfizer", Today, -1, DeliveryStatus.Confirmed))).Field);
        Assert.Equal("date", T.Refused(centre.DecideDelivery(new("x3", "pfizer", origin.AddDays(2048), 5, DeliveryStatus.Confirmed))).Field);
        Assert.NotNull(centre.DecideDelivery(new("x4", "pfizer", origin.AddDays(2047), 5, DeliveryStatus.Confirmed)).Fact);

        centre.Apply(T.Fact(centre.DecideDelivery(new("d1", "pfizer", Today, 5, DeliveryStatus.Confirmed))));
        Assert.Equal("deliveryId", T.Refused(centre.DecideDelivery(new("d1", "janssen", Today, 1, DeliveryStatus.Confirmed))).Field);
        Assert.Equal(5, centre.Deliveries["d1"].Doses);
        Assert.Equal(5, centre.Stock("pfizer")!.AvailableFrom(Today));
    }

    [Fact]
    public void A_delivery_dated_before_the_stock_origin_is_usable()
    {
        var centre = NewCentre();
        T.Deliver(centre, "janssen", T.Day("2026-01-15"), 1);

        Assert.Equal(1, centre.Stock("janssen")!.DeliveredOn(T.Day("2026-09-02")));
        T.Book(centre, T.Request("R1", "janssen", First), Now);
        Assert.Equal(0, centre.Stock("janssen")!.AvailableFrom(Today));
    }

    [Fact]
    public void An_unconfigured_centre_does_not_exist()
    {
        var centre = new Centre("nowhere", T.Catalog);

        Assert.Equal(RefusalReason.CentreNotFound, T.Refused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now)).Reason);
        Assert.Equal(RefusalReason.CentreNotFound, T.Refused(centre.DecideDelivery(new("d", "pfizer", Today, 5, DeliveryStatus.Confirmed))).Reason);
        Assert.Equal(RefusalReason.BookingNotFound, T.Refused(centre.DecideCancel("R1", Now)).Reason);
        Assert.Empty(centre.FirstDoseSlots("pfizer", Today, Today.AddDays(7), Now));
        Assert.Empty(centre.SecondDoseSlots("pfizer", First));
    }

    // ---- bookings ----------------------------------------------------------------------------

    [Fact]
    public void A_pair_takes_both_slots_and_two_doses()
    {
        var centre = Stocked();

        var decision = centre.DecideBook(new PairRequest("R1", "pfizer", First, Second, "identity-1", "check-1"), Now);

        var booking = T.Fact(decision).Booking;
        Assert.Equal(("R1", "identity-1", "check-1", "pfizer", Now, BookingStatus.Confirmed),
            (booking.Reference, booking.IdentityKey, booking.BirthDateCheck, booking.Vaccine, booking.BookedAt, booking.Status));
        Assert.Equal([new Appointment(1, First), new Appointment(2, Second)], booking.Appointments);
        Assert.Equal((1, 21, 49, (DateOnly?)null), (booking.Number, booking.MinIntervalDays, booking.MaxIntervalDays, booking.FirstDoseGivenOn));
        Assert.Equal(0, T.BookedAt(centre, First));

        centre.Apply(decision.Fact!);

        Assert.Equal(1, T.BookedAt(centre, First));
        Assert.Equal(1, T.BookedAt(centre, Second));
        Assert.Equal(1, centre.Remaining(T.Slot(centre, First)));
        Assert.Equal(0, T.BookedAt(centre, T.At("2027-03-02T10:00+01:00")));
        Assert.Equal(0, T.BookedAt(centre, T.At("2027-03-23T09:00+01:00")));
        var stock = centre.Stock("pfizer")!;
        Assert.Equal(1, stock.BookedOn(T.Day("2027-03-02")));
        Assert.Equal(1, stock.BookedOn(T.Day("2027-03-23")));
        Assert.Equal(8, stock.AvailableFrom(Today));
        Assert.Equal(9, stock.AvailableBetween(Today, T.Day("2027-03-23")));
        Assert.Same(booking, centre.FindBooking("R1"));
        Assert.Null(centre.Stock("janssen")!.FirstShortDay());
    }

    [Fact]
    public void The_booking_keeps_the_calendar_offset_whatever_offset_the_request_used()
    {
        var centre = Stocked();

        var booking = T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-02T08:00Z"), T.At("2027-03-30T07:00Z")), Now);

        Assert.Equal(["2027-03-02T09:00:00+01:00", "2027-03-30T09:00:00+02:00"], T.Iso(booking.Appointments.Select(a => a.Start)));
        Assert.Equal(1, T.BookedAt(centre, T.At("2027-03-30T09:00+02:00")));
    }

    [Fact]
    public void A_single_dose_vaccine_books_one_appointment()
    {
        var centre = Stocked(pfizer: 0, janssen: 3);

        var booking = T.Book(centre, T.Request("R1", "janssen", First), Now);

        Assert.Equal([new Appointment(1, First)], booking.Appointments);
        Assert.Equal(1, T.BookedAt(centre, First));
        Assert.Equal(2, centre.Stock("janssen")!.AvailableFrom(Today));
        Assert.Null(centre.Stock("pfizer"));
    }

    [Fact]
    public void Both_ends_of_the_interval_are_accepted()
    {
        var centre = Stocked();

        T.Book(centre, T.Request("R21", "pfizer", First, T.At("2027-03-23T09:00+01:00")), Now);
        T.Book(centre, T.Request("R49", "pfizer", First, T.At("2027-04-20T11:00+02:00")), Now);

        Assert.Equal(2, T.BookedAt(centre, First));
    }

    // ---- refusals ----------------------------------------------------------------------------

    [Fact]
    public void Unknown_or_not_offered_vaccines_are_invalid()
    {
        var centre = Stocked();

        AssertInvalid(centre.DecideBook(T.Request("R1", "sputnik", First, Second), Now), "vaccine");
        AssertInvalid(centre.DecideBook(T.Request("R2", "moderna", First, Second), Now), "vaccine");
        AssertInvalid(centre.DecideBook(T.Request("R3", "Pfizer", First, Second), Now), "vaccine");
    }

    [Theory]
    [InlineData("2027-03-02T09:30+01:00")] // between two slots
    [InlineData("2027-03-02T12:00+01:00")] // closing time
    [InlineData("2027-03-02T08:00+01:00")] // before opening
    [InlineData("2027-03-03T10:00+01:00")] // closed date
    [InlineData("2027-03-02T09:00:00.001+01:00")]
    public void A_first_dose_that_is_not_a_slot_is_invalid(string start)
    {
        var centre = T.Configured(T.Settings(closed: [T.Day("2027-03-03")]), Today);
        T.Deliver(centre, "pfizer", Today, 10);
        T.Deliver(centre, "janssen", Today, 10);

        AssertInvalid(centre.DecideBook(T.Request("R1", "pfizer", T.At(start), Second), Now), "firstDose");
        AssertInvalid(centre.DecideBook(T.Request("R2", "pfizer", T.At(start)), Now), "firstDose");
        AssertInvalid(centre.DecideBook(T.Request("R3", "janssen", T.At(start)), Now), "firstDose");
    }

    [Fact]
    public void A_first_dose_that_has_started_is_invalid()
    {
        var centre = Stocked();

        AssertInvalid(centre.DecideBook(T.Request("R1", "pfizer", First, Second), T.At("2027-03-02T09:30+01:00")), "firstDose");
        AssertInvalid(centre.DecideBook(T.Request("R2", "janssen", First), T.At("2027-03-02T09:00+01:00")), "firstDose");
        AssertInvalid(centre.DecideBook(T.Request("R3", "pfizer", First), T.At("2027-03-02T08:00Z")), "firstDose");
        Assert.NotNull(centre.DecideBook(T.Request("R4", "pfizer", First, Second), T.At("2027-03-02T08:59:59+01:00")).Fact);
    }

    [Fact]
    public void A_first_dose_beyond_the_horizon_is_invalid()
    {
        var centre = Stocked();

        // Today + 28 (29 March, after the change to summer time) is the last bookable day.
        Assert.NotNull(centre.DecideBook(T.Request("R1", "pfizer", T.At("2027-03-29T11:00+02:00"), T.At("2027-04-19T09:00+02:00")), Now).Fact);
        Assert.NotNull(centre.DecideBook(T.Request("R2", "janssen", T.At("2027-03-29T11:00+02:00")), Now).Fact);
        AssertInvalid(centre.DecideBook(T.Request("R3", "pfizer", T.At("2027-03-30T09:00+02:00"), T.At("2027-04-20T09:00+02:00")), Now), "firstDose");
        AssertInvalid(centre.DecideBook(T.Request("R4", "pfizer", T.At("2027-03-30T09:00+02:00")), Now), "firstDose");
        AssertInvalid(centre.DecideBook(T.Request("R5", "janssen", T.At("2027-03-30T09:00+02:00")), Now), "firstDose");

        // The horizon counts from the centre's local date: 23:30 UTC on 1 March is already 2 March in Paris.
        Assert.NotNull(centre.DecideBook(T.Request("R6", "janssen", T.At("2027-03-30T09:00+02:00")), T.At("2027-03-01T23:30Z")).Fact);
        AssertInvalid(centre.DecideBook(T.Request("R7", "janssen", T.At("2027-03-30T09:00+02:00")), T.At("2027-03-01T22:30Z")), "firstDose");
    }

    [Theory]
    [InlineData("2027-03-23T09:30+01:00")] // not a slot
    [InlineData("2027-03-22T09:00+01:00")] // 20 days
    [InlineData("2027-04-21T09:00+02:00")] // 50 days
    [InlineData("2027-03-02T10:00+01:00")] // same day
    [InlineData("2027-02-28T10:00+01:00")] // before the first dose
    public void A_second_dose_not_on_the_calendar_or_outside_the_interval_is_invalid(string second)
    {
        var centre = Stocked();

        AssertInvalid(centre.DecideBook(T.Request("R1", "pfizer", First, T.At(second)), Now), "secondDose");
    }

    [Fact]
    public void A_second_dose_for_a_single_dose_vaccine_is_invalid()
    {
        var centre = Stocked();

        AssertInvalid(centre.DecideBook(T.Request("R1", "janssen", First, Second), Now), "secondDose");
    }

    [Fact]
    public void A_full_first_dose_slot()
    {
        var centre = Stocked();
        Fill(centre, First);

        var explicitSecond = T.Refused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now));
        Assert.Equal((RefusalReason.SlotFull, "The first-dose slot is full."), (explicitSecond.Reason, explicitSecond.Detail));
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First), Now), RefusalReason.SlotFull);
        AssertRefused(centre.DecideBook(T.Request("R3", "janssen", First), Now), RefusalReason.SlotFull);
        Assert.Equal(2, T.BookedAt(centre, First));
    }

    [Fact]
    public void A_full_second_dose_slot()
    {
        var centre = Stocked();
        Fill(centre, Second);

        var refusal = T.Refused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now));

        Assert.Equal((RefusalReason.SlotFull, "The second-dose slot is full."), (refusal.Reason, refusal.Detail));
    }

    [Fact]
    public void A_full_slot_is_reported_before_missing_stock()
    {
        var centre = Stocked(pfizer: 0, janssen: 2);
        Fill(centre, First);

        AssertRefused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now), RefusalReason.SlotFull);
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First), Now), RefusalReason.SlotFull);
        AssertRefused(centre.DecideBook(T.Request("R3", "janssen", First), Now), RefusalReason.SlotFull);
    }

    [Fact]
    public void No_delivery_at_all_is_out_of_stock()
    {
        var centre = NewCentre();

        AssertRefused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now), RefusalReason.OutOfStock);
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First), Now), RefusalReason.OutOfStock);
        AssertRefused(centre.DecideBook(T.Request("R3", "janssen", First), Now), RefusalReason.OutOfStock);
    }

    [Fact]
    public void An_empty_delivery_is_out_of_stock()
    {
        var centre = Stocked(pfizer: 0, janssen: 0);
        T.Deliver(centre, "pfizer", Today, 0);
        T.Deliver(centre, "janssen", Today, 0);

        AssertRefused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now), RefusalReason.OutOfStock);
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First), Now), RefusalReason.OutOfStock);
        AssertRefused(centre.DecideBook(T.Request("R3", "janssen", First), Now), RefusalReason.OutOfStock);
    }

    [Fact]
    public void One_dose_is_not_enough_for_a_pair()
    {
        var centre = Stocked(pfizer: 1);

        AssertRefused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now), RefusalReason.OutOfStock);
        // The first dose alone is covered, so the engine looks for a second dose and finds none.
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First), Now), RefusalReason.NoSecondDose);
    }

    [Fact]
    public void Doses_that_arrive_after_the_first_dose_do_not_cover_it()
    {
        var centre = NewCentre();
        T.Deliver(centre, "pfizer", T.Day("2027-03-10"), 10);
        T.Deliver(centre, "janssen", T.Day("2027-03-10"), 10);

        AssertRefused(centre.DecideBook(T.Request("R1", "pfizer", First, Second), Now), RefusalReason.OutOfStock);
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First), Now), RefusalReason.OutOfStock);
        AssertRefused(centre.DecideBook(T.Request("R3", "janssen", First), Now), RefusalReason.OutOfStock);
        Assert.NotNull(centre.DecideBook(T.Request("R4", "janssen", T.At("2027-03-10T09:00+01:00")), Now).Fact);
    }

    [Fact]
    public void Forecast_doses_count_only_when_the_centre_books_them()
    {
        var strict = NewCentre();
        T.Deliver(strict, "pfizer", Today, 10, DeliveryStatus.Forecast);
        AssertRefused(strict.DecideBook(T.Request("R1", "pfizer", First, Second), Now), RefusalReason.OutOfStock);
        Assert.Equal(DeliveryStatus.Forecast, Assert.Single(strict.Deliveries.Values).Status);

        var lenient = NewCentre(bookForecast: true);
        T.Deliver(lenient, "pfizer", Today, 10, DeliveryStatus.Forecast);
        Assert.NotNull(lenient.DecideBook(T.Request("R1", "pfizer", First, Second), Now).Fact);
    }

    [Fact]
    public void No_second_dose_when_every_second_dose_day_is_full()
    {
        // "quick": dose 2 two or three days after dose 1. One line, three slots a day.
        var centre = Stocked(lines: 1, vaccines: ["quick", "janssen"], pfizer: 0);
        T.Deliver(centre, "quick", Today, 10);
        foreach (var day in new[] { "2027-03-04", "2027-03-05" })
        {
            foreach (var hour in new[] { "09", "10", "11" })
            {
                Fill(centre, T.At($"{day}T{hour}:00+01:00"));
            }
        }

        AssertRefused(centre.DecideBook(T.Request("R1", "quick", First), Now), RefusalReason.NoSecondDose);
        AssertRefused(centre.DecideBook(T.Request("R2", "quick", First, T.At("2027-03-04T09:00+01:00")), Now), RefusalReason.SlotFull);
        Assert.Equal("2027-03-06T09:00:00+01:00",
            T.Iso(T.Book(centre, T.Request("R3", "quick", T.At("2027-03-03T09:00+01:00")), Now).Appointments[1].Start));
    }

    [Fact]
    public void No_second_dose_when_every_second_dose_day_is_closed()
    {
        var closed = Enumerable.Range(0, 29).Select(i => T.Day("2027-03-23").AddDays(i)).ToArray();
        var centre = NewCentre(closed: closed);
        T.Deliver(centre, "pfizer", Today, 10);

        AssertRefused(centre.DecideBook(T.Request("R1", "pfizer", First), Now), RefusalReason.NoSecondDose);
        Assert.Equal("2027-04-21T09:00:00+02:00",
            T.Iso(T.Book(centre, T.Request("R2", "pfizer", T.At("2027-03-03T09:00+01:00")), Now).Appointments[1].Start));
    }

    [Fact]
    public void One_active_booking_per_identity_in_a_centre()
    {
        var centre = Stocked();
        T.Book(centre, T.Request("R1", "pfizer", First, Second, identity: "same-person"), Now);

        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", T.At("2027-03-04T09:00+01:00"), identity: "same-person"), Now), RefusalReason.AlreadyBooked);
        AssertRefused(centre.DecideBook(T.Request("R3", "janssen", T.At("2027-03-04T09:00+01:00"), identity: "same-person"), Now), RefusalReason.AlreadyBooked);
        Assert.NotNull(centre.DecideBook(T.Request("R4", "janssen", T.At("2027-03-04T09:00+01:00"), identity: "someone-else"), Now).Fact);
    }

    [Fact]
    public void Already_booked_comes_after_the_vaccine_check_and_before_everything_else()
    {
        var centre = Stocked(janssen: 3);
        T.Book(centre, T.Request("R1", "janssen", First, identity: "same-person"), Now);
        Fill(centre, First);

        AssertInvalid(centre.DecideBook(T.Request("R2", "sputnik", First, identity: "same-person"), Now), "vaccine");
        AssertInvalid(centre.DecideBook(T.Request("R3", "moderna", First, identity: "same-person"), Now), "vaccine");
        AssertRefused(centre.DecideBook(T.Request("R4", "pfizer", T.At("2027-03-02T09:30+01:00"), identity: "same-person"), Now), RefusalReason.AlreadyBooked);
        AssertRefused(centre.DecideBook(T.Request("R5", "pfizer", First, identity: "same-person"), Now), RefusalReason.AlreadyBooked);
        AssertRefused(centre.DecideBook(T.Request("R6", "janssen", T.At("2027-03-05T09:00+01:00"), identity: "same-person"), Now), RefusalReason.AlreadyBooked);
        AssertRefused(centre.DecideBook(T.Request("R7", "janssen", First, Second, identity: "same-person"), Now), RefusalReason.AlreadyBooked);
    }

    [Fact]
    public void Deciding_changes_nothing()
    {
        var centre = Stocked(pfizer: 2);

        for (var i = 0; i < 5; i++)
        {
            Assert.NotNull(centre.DecideBook(T.Request($"R{i}", "pfizer", First, Second), Now).Fact);
        }

        Assert.Equal(0, T.BookedAt(centre, First));
        Assert.Equal(2, centre.Stock("pfizer")!.AvailableFrom(Today));
        Assert.Empty(centre.Bookings);
    }

    // ---- cancellation -------------------------------------------------------------------------

    [Fact]
    public void Cancelling_frees_the_seats_and_doses_at_once()
    {
        var centre = Stocked(pfizer: 2, lines: 1);
        T.Book(centre, T.Request("R1", "pfizer", First, Second, identity: "alice"), Now);
        AssertRefused(centre.DecideBook(T.Request("R2", "pfizer", First, Second, identity: "bob"), Now), RefusalReason.SlotFull);
        AssertRefused(centre.DecideBook(T.Request("R3", "pfizer", T.At("2027-03-02T10:00+01:00"), Second.AddHours(1), identity: "bob"), Now), RefusalReason.OutOfStock);
        Assert.Empty(centre.FirstDoseSlots("pfizer", Today, Today.AddDays(28), Now));

        var cancel = T.Fact(centre.DecideCancel("R1", T.At("2027-03-01T12:00+01:00")));
        Assert.Equal(new BookingCancelled("R1", T.At("2027-03-01T12:00+01:00")), cancel);
        centre.Apply(cancel);

        Assert.Equal(0, T.BookedAt(centre, First));
        Assert.Equal(0, T.BookedAt(centre, Second));
        var stock = centre.Stock("pfizer")!;
        Assert.Equal(0, stock.BookedOn(T.Day("2027-03-02")));
        Assert.Equal(0, stock.BookedOn(T.Day("2027-03-23")));
        Assert.Equal(2, stock.AvailableFrom(Today));
        Assert.Equal(BookingStatus.Cancelled, centre.FindBooking("R1")!.Status);
        Assert.Equal(87, centre.FirstDoseSlots("pfizer", Today, Today.AddDays(28), Now).Count);
        T.Book(centre, T.Request("R2", "pfizer", First, Second, identity: "bob"), Now);
        T.Book(centre, T.Request("R4", "janssen", T.At("2027-03-02T10:00+01:00"), identity: "alice"), Now);
    }

    [Fact]
    public void Cancelling_a_single_dose_booking()
    {
        var centre = Stocked(pfizer: 0, janssen: 1);
        T.Book(centre, T.Request("R1", "janssen", First), Now);

        centre.Apply(T.Fact(centre.DecideCancel("R1", Now)));

        Assert.Equal(0, T.BookedAt(centre, First));
        Assert.Equal(1, centre.Stock("janssen")!.AvailableFrom(Today));
    }

    [Fact]
    public void Cancelling_an_unknown_or_cancelled_booking_is_refused()
    {
        var centre = Stocked();
        T.Book(centre, T.Request("R1", "pfizer", First, Second), Now);
        centre.Apply(T.Fact(centre.DecideCancel("R1", Now)));

        Assert.Equal(RefusalReason.NotActive, T.Refused(centre.DecideCancel("R1", Now)).Reason);
        Assert.Equal(RefusalReason.BookingNotFound, T.Refused(centre.DecideCancel("R9", Now)).Reason);
        Assert.Equal(10, centre.Stock("pfizer")!.AvailableFrom(Today));
    }
}
