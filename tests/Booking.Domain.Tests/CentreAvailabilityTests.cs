using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

/// <summary>
/// The engine's choice of a second dose, and the first-dose slots it shows (I6). Same centre as
/// <see cref="CentreBookingTests"/>: Paris, 09:00/10:00/11:00 slots every day, two lines, today is
/// Monday 1 March 2027 at 08:00. "quick" needs its second dose 2 or 3 days after the first.
/// </summary>
public class CentreAvailabilityTests
{
    private static readonly DateOnly Today = T.Day("2027-03-01");
    private static readonly DateTimeOffset Now = T.At("2027-03-01T08:00+01:00");

    private static Centre NewCentre(int lines = 2) =>
        T.Configured(T.Settings(lines: lines, vaccines: ["pfizer", "janssen", "quick"]), Today);

    private static void Fill(Centre centre, params string[] slots)
    {
        foreach (var slot in slots.Select(T.At))
        {
            var i = 0;
            while (centre.Remaining(T.Slot(centre, slot)) > 0)
            {
                T.Book(centre, T.Request($"fill-{slot.UtcTicks}-{i++}", "janssen", slot), Now);
            }
        }
    }

    private static string SecondDoseFor(Centre centre, string vaccine, string first) =>
        T.Iso(T.Fact(centre.DecideBook(T.Request("R", vaccine, T.At(first)), Now)).Booking.Appointments[1].Start);

    private static Centre Stocked(int lines = 2)
    {
        var centre = NewCentre(lines);
        T.Deliver(centre, "pfizer", Today, 100);
        T.Deliver(centre, "janssen", Today, 100);
        T.Deliver(centre, "quick", Today, 100);
        return centre;
    }

    // ---- the engine's second dose --------------------------------------------------------------

    [Fact]
    public void The_engine_picks_the_minimum_interval_at_the_same_time_of_day()
    {
        var centre = Stocked();

        Assert.Equal("2027-03-23T10:00:00+01:00", SecondDoseFor(centre, "pfizer", "2027-03-02T10:00+01:00"));
        Assert.Equal("2027-03-04T11:00:00+01:00", SecondDoseFor(centre, "quick", "2027-03-02T11:00+01:00"));
    }

    [Fact]
    public void The_same_local_time_of_day_across_the_change_to_summer_time()
    {
        var centre = Stocked();

        Assert.Equal("2027-03-29T11:00:00+02:00", SecondDoseFor(centre, "pfizer", "2027-03-08T11:00+01:00"));
    }

    [Fact]
    public void A_full_day_moves_the_second_dose_to_the_next_day()
    {
        var centre = Stocked();
        Fill(centre, "2027-03-23T09:00+01:00", "2027-03-23T10:00+01:00", "2027-03-23T11:00+01:00");

        Assert.Equal("2027-03-24T10:00:00+01:00", SecondDoseFor(centre, "pfizer", "2027-03-02T10:00+01:00"));
    }

    [Fact]
    public void The_nearest_free_time_of_day_and_the_earlier_one_on_a_tie()
    {
        var centre = Stocked();
        Fill(centre, "2027-03-23T10:00+01:00");

        Assert.Equal("2027-03-23T09:00:00+01:00", SecondDoseFor(centre, "pfizer", "2027-03-02T10:00+01:00"));

        Fill(centre, "2027-03-23T09:00+01:00");
        Assert.Equal("2027-03-23T11:00:00+01:00", SecondDoseFor(centre, "pfizer", "2027-03-02T09:00+01:00"));
        Assert.Equal("2027-03-23T11:00:00+01:00", SecondDoseFor(centre, "pfizer", "2027-03-02T10:00+01:00"));
    }

    [Fact]
    public void The_earliest_day_the_stock_allows()
    {
        // One dose now, two more on 28 March: a pair starting 2 March can only end on 28 March or later.
        var centre = NewCentre();
        T.Deliver(centre, "pfizer", Today, 1);
        T.Deliver(centre, "pfizer", T.Day("2027-03-28"), 2);

        Assert.Equal("2027-03-28T09:00:00+02:00", SecondDoseFor(centre, "pfizer", "2027-03-02T09:00+01:00"));

        var seconds = centre.SecondDoseSlots("pfizer", T.At("2027-03-02T09:00+01:00"));
        Assert.Equal(72, seconds.Count);
        Assert.Equal("2027-03-28T09:00:00+02:00", T.Iso(seconds[0].Start));
        Assert.Equal("2027-04-20T11:00:00+02:00", T.Iso(seconds[^1].Start));
        Assert.All(seconds, s => Assert.Equal(2, s.Remaining));
    }

    [Fact]
    public void Second_dose_slots_leave_out_full_slots_and_show_what_remains()
    {
        var centre = Stocked();
        Fill(centre, "2027-03-04T10:00+01:00");
        T.Book(centre, T.Request("R1", "janssen", T.At("2027-03-05T11:00+01:00")), Now);

        var seconds = centre.SecondDoseSlots("quick", T.At("2027-03-02T09:00+01:00"));

        Assert.Equal(
            ["2027-03-04T09:00:00+01:00", "2027-03-04T11:00:00+01:00", "2027-03-05T09:00:00+01:00", "2027-03-05T10:00:00+01:00", "2027-03-05T11:00:00+01:00"],
            T.Iso(seconds.Select(s => s.Start)));
        Assert.Equal([2, 2, 2, 2, 1], seconds.Select(s => s.Remaining));
        Assert.Empty(centre.SecondDoseSlots("janssen", T.At("2027-03-02T09:00+01:00")));
        Assert.Empty(centre.SecondDoseSlots("quick", T.At("2027-03-02T09:30+01:00")));
    }

    // ---- first-dose slots -------------------------------------------------------------------

    [Fact]
    public void First_dose_slots_carry_the_range_of_second_doses()
    {
        var centre = Stocked();
        T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-02T10:00+01:00"), T.At("2027-03-23T09:00+01:00")), Now);

        var slots = centre.FirstDoseSlots("pfizer", T.Day("2027-03-02"), T.Day("2027-03-02"), Now);

        Assert.Equal(["2027-03-02T09:00:00+01:00", "2027-03-02T10:00:00+01:00", "2027-03-02T11:00:00+01:00"], T.Iso(slots.Select(s => s.Start)));
        Assert.Equal([2, 1, 2], slots.Select(s => s.Remaining));
        Assert.All(slots, s => Assert.Equal("2027-03-23T09:00:00+01:00", T.Iso(s.SecondEarliest)));
        Assert.All(slots, s => Assert.Equal("2027-04-20T11:00:00+02:00", T.Iso(s.SecondLatest)));
    }

    [Fact]
    public void Single_dose_slots_have_no_second_dose_range()
    {
        var centre = Stocked();

        var slot = centre.FirstDoseSlots("janssen", T.Day("2027-03-02"), T.Day("2027-03-02"), Now)[0];

        Assert.Equal(new FirstDoseSlot(T.At("2027-03-02T09:00+01:00"), 2, null, null), slot);
    }

    [Fact]
    public void Full_slots_started_slots_and_days_beyond_the_horizon_are_not_shown()
    {
        var centre = Stocked();
        Fill(centre, "2027-03-02T11:00+01:00");

        var slots = centre.FirstDoseSlots("janssen", T.Day("2027-02-20"), T.Day("2027-05-01"), T.At("2027-03-02T09:30+01:00"));

        Assert.Equal(["2027-03-02T10:00:00+01:00", "2027-03-03T09:00:00+01:00"], T.Iso(slots.Take(2).Select(s => s.Start)));
        Assert.Equal("2027-03-30T11:00:00+02:00", T.Iso(slots[^1].Start));
        Assert.Equal(1 + 28 * 3, slots.Count);
    }

    [Fact]
    public void One_dose_in_stock_shows_no_first_dose_of_a_two_dose_vaccine()
    {
        var centre = NewCentre();
        T.Deliver(centre, "pfizer", Today, 1);
        T.Deliver(centre, "janssen", Today, 1);

        Assert.Empty(centre.FirstDoseSlots("pfizer", Today, Today.AddDays(28), Now));
        Assert.Equal(87, centre.FirstDoseSlots("janssen", Today, Today.AddDays(28), Now).Count);
    }

    [Fact]
    public void A_day_is_hidden_when_no_dose_is_left_for_its_second_dose_window()
    {
        // One dose on 1 March and one on 5 March: two doses are there only from 5 March on.
        var centre = NewCentre();
        T.Deliver(centre, "quick", Today, 1);
        T.Deliver(centre, "quick", T.Day("2027-03-05"), 1);

        var slots = centre.FirstDoseSlots("quick", T.Day("2027-03-01"), T.Day("2027-03-04"), Now);

        Assert.Equal(
            [
                ("2027-03-02", "2027-03-05T09:00:00+01:00", "2027-03-05T11:00:00+01:00"),
                ("2027-03-03", "2027-03-05T09:00:00+01:00", "2027-03-06T11:00:00+01:00"),
                ("2027-03-04", "2027-03-06T09:00:00+01:00", "2027-03-07T11:00:00+01:00"),
            ],
            slots.GroupBy(s => s.Start.ToString("yyyy-MM-dd")).Select(g => (g.Key, T.Iso(g.First().SecondEarliest), T.Iso(g.First().SecondLatest))));
        Assert.Equal(9, slots.Count);
        AssertShownMeansBookable(centre, slots);
    }

    [Fact]
    public void A_day_is_hidden_when_its_second_dose_days_are_full()
    {
        var centre = Stocked(lines: 1);
        Fill(centre,
            "2027-03-04T09:00+01:00", "2027-03-04T10:00+01:00", "2027-03-04T11:00+01:00",
            "2027-03-05T09:00+01:00", "2027-03-05T10:00+01:00", "2027-03-05T11:00+01:00",
            "2027-03-03T09:00+01:00", "2027-03-06T11:00+01:00");

        var slots = centre.FirstDoseSlots("quick", T.Day("2027-03-01"), T.Day("2027-03-03"), Now);

        Assert.Equal(
            [
                ("2027-03-01T09:00:00+01:00", "2027-03-03T10:00:00+01:00", "2027-03-03T11:00:00+01:00"),
                ("2027-03-01T10:00:00+01:00", "2027-03-03T10:00:00+01:00", "2027-03-03T11:00:00+01:00"),
                ("2027-03-01T11:00:00+01:00", "2027-03-03T10:00:00+01:00", "2027-03-03T11:00:00+01:00"),
                ("2027-03-03T10:00:00+01:00", "2027-03-06T09:00:00+01:00", "2027-03-06T10:00:00+01:00"),
                ("2027-03-03T11:00:00+01:00", "2027-03-06T09:00:00+01:00", "2027-03-06T10:00:00+01:00"),
            ],
            slots.Select(s => (T.Iso(s.Start), T.Iso(s.SecondEarliest), T.Iso(s.SecondLatest))));
        AssertShownMeansBookable(centre, slots);
        Assert.Equal(RefusalReason.NoSecondDose, T.Refused(centre.DecideBook(T.Request("R", "quick", T.At("2027-03-02T09:00+01:00")), Now)).Reason);
    }

    [Fact]
    public void Closed_dates_and_vaccines_that_are_not_offered_show_nothing()
    {
        var centre = T.Configured(T.Settings(closed: [T.Day("2027-03-02")]), Today);
        T.Deliver(centre, "pfizer", Today, 10);
        T.Deliver(centre, "moderna", Today, 10);

        Assert.Empty(centre.FirstDoseSlots("pfizer", T.Day("2027-03-02"), T.Day("2027-03-02"), Now));
        Assert.Equal(3, centre.FirstDoseSlots("pfizer", T.Day("2027-03-03"), T.Day("2027-03-03"), Now).Count);
        Assert.Empty(centre.FirstDoseSlots("moderna", Today, Today.AddDays(7), Now));
        Assert.Empty(centre.FirstDoseSlots("janssen", Today, Today.AddDays(7), Now));
        Assert.Empty(centre.FirstDoseSlots("sputnik", Today, Today.AddDays(7), Now));
    }

    private static void AssertShownMeansBookable(Centre centre, IEnumerable<FirstDoseSlot> slots)
    {
        foreach (var slot in slots)
        {
            var booking = T.Fact(centre.DecideBook(T.Request("probe", "quick", slot.Start), Now)).Booking;
            var second = booking.Appointments[1].Start;
            Assert.InRange(second, slot.SecondEarliest!.Value, slot.SecondLatest!.Value);
        }
    }
}
