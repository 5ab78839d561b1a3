using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

public class CentreCalendarTests
{
    private static CentreCalendar Calendar(string zone, int slotMinutes, IReadOnlyList<OpeningHours> hours,
        IReadOnlyList<DateOnly>? closed = null) =>
        new(T.Settings(zone: zone, slotMinutes: slotMinutes, hours: hours, closed: closed));

    private static OpeningHours[] Sundays(params (TimeOnly Open, TimeOnly Close)[] periods) =>
        periods.Select(p => new OpeningHours(DayOfWeek.Sunday, p.Open, p.Close)).ToArray();

    [Fact]
    public void Paris_spring_forward_skips_the_missing_hour()
    {
        // 2027-03-28: at 02:00 CET the clocks jump to 03:00 CEST.
        var calendar = Calendar("Europe/Paris", 30, Sundays((T.H(1), T.H(4))));

        var day = calendar.Day(T.Day("2027-03-28"));

        Assert.Equal(T.Day("2027-03-28"), day.Date);
        Assert.Equal(4, day.Count);
        Assert.Equal(
            ["2027-03-28T01:00:00+01:00", "2027-03-28T01:30:00+01:00", "2027-03-28T03:00:00+02:00", "2027-03-28T03:30:00+02:00"],
            T.Iso(day.Starts));
        Assert.Equal(
            [T.At("2027-03-28T00:00Z"), T.At("2027-03-28T00:30Z"), T.At("2027-03-28T01:00Z"), T.At("2027-03-28T01:30Z")],
            day.Starts);
    }

    [Fact]
    public void Paris_fall_back_offers_the_repeated_hour_once_at_its_first_occurrence()
    {
        // 2027-10-31: at 03:00 CEST the clocks go back to 02:00 CET; 02:00-02:59 happens twice.
        var calendar = Calendar("Europe/Paris", 30, Sundays((T.H(1), T.H(4))));

        var day = calendar.Day(T.Day("2027-10-31"));

        Assert.Equal(6, day.Count);
        Assert.Equal(
            [
                "2027-10-31T01:00:00+02:00", "2027-10-31T01:30:00+02:00", "2027-10-31T02:00:00+02:00",
                "2027-10-31T02:30:00+02:00", "2027-10-31T03:00:00+01:00", "2027-10-31T03:30:00+01:00",
            ],
            T.Iso(day.Starts));
        Assert.Equal(T.At("2027-10-30T23:00Z"), day.Starts[0]);
        Assert.Equal(T.At("2027-10-31T00:30Z"), day.Starts[3]);
        Assert.Equal(T.At("2027-10-31T02:00Z"), day.Starts[4]);
    }

    [Fact]
    public void Slots_that_do_not_align_with_the_hour_on_dst_days()
    {
        var calendar = Calendar("Europe/Paris", 45, Sundays((T.H(1), T.H(4))));

        Assert.Equal(
            ["2027-03-28T01:00:00+01:00", "2027-03-28T01:45:00+01:00", "2027-03-28T03:15:00+02:00"],
            T.Iso(calendar.Day(T.Day("2027-03-28")).Starts));
        Assert.Equal(
            ["2027-10-31T01:00:00+02:00", "2027-10-31T01:45:00+02:00", "2027-10-31T02:30:00+02:00", "2027-10-31T03:15:00+01:00"],
            T.Iso(calendar.Day(T.Day("2027-10-31")).Starts));
        Assert.Equal(4, calendar.Day(T.Day("2027-03-21")).Count);
    }

    [Fact]
    public void A_normal_day_on_and_around_the_dst_sundays_has_every_slot()
    {
        var calendar = Calendar("Europe/Paris", 30, T.EveryDay(T.H(9), T.H(18)));

        foreach (var (date, offset) in new[]
                 {
                     ("2027-03-27", "+01:00"), ("2027-03-28", "+02:00"), ("2027-03-29", "+02:00"),
                     ("2027-10-30", "+02:00"), ("2027-10-31", "+01:00"), ("2027-11-01", "+01:00"),
                 })
        {
            var day = calendar.Day(T.Day(date));
            Assert.Equal(18, day.Count);
            Assert.Equal($"{date}T09:00:00{offset}", T.Iso(day.Starts[0]));
            Assert.Equal($"{date}T17:30:00{offset}", T.Iso(day.Starts[^1]));
        }
    }

    [Fact]
    public void Overlapping_periods_which_settings_refuse_still_give_each_start_once_in_order()
    {
        var calendar = Calendar("Europe/Paris", 30, Sundays((T.H(10), T.H(12)), (T.H(9), T.H(11))));

        Assert.Equal(
            ["2027-03-21T09:00:00+01:00", "2027-03-21T09:30:00+01:00", "2027-03-21T10:00:00+01:00", "2027-03-21T10:30:00+01:00",
             "2027-03-21T11:00:00+01:00", "2027-03-21T11:30:00+01:00"],
            T.Iso(calendar.Day(T.Day("2027-03-21")).Starts));
    }

    [Fact]
    public void Night_and_day_periods_on_the_dst_sundays()
    {
        var calendar = Calendar("Europe/Paris", 30, Sundays((T.H(9), T.H(18)), (T.H(1), T.H(4))));

        Assert.Equal(22, calendar.Day(T.Day("2027-03-28")).Count);
        Assert.Equal(24, calendar.Day(T.Day("2027-03-21")).Count);
        Assert.Equal(24, calendar.Day(T.Day("2027-10-31")).Count);
        Assert.Equal(0, calendar.Day(T.Day("2027-03-29")).Count);
    }

    [Theory]
    [InlineData("America/Cayenne", "-03:00")]
    [InlineData("Indian/Reunion", "+04:00")]
    public void Overseas_zones_have_no_dst(string zone, string offset)
    {
        var calendar = Calendar(zone, 30, Sundays((T.H(1), T.H(4))));

        foreach (var date in new[] { "2027-03-28", "2027-10-31" })
        {
            Assert.Equal(
                new[] { "01:00", "01:30", "02:00", "02:30", "03:00", "03:30" }.Select(t => $"{date}T{t}:00{offset}").ToArray(),
                T.Iso(calendar.Day(T.Day(date)).Starts));
        }
    }

    [Fact]
    public void Closed_dates_have_no_slots()
    {
        var calendar = Calendar("Europe/Paris", 60, T.EveryDay(T.H(9), T.H(12)), [T.Day("2027-03-02")]);

        Assert.Equal(0, calendar.Day(T.Day("2027-03-02")).Count);
        Assert.False(calendar.TryFind(T.At("2027-03-02T09:00+01:00"), out _));
        Assert.Equal(3, calendar.Day(T.Day("2027-03-01")).Count);
        Assert.Equal(3, calendar.Day(T.Day("2027-03-03")).Count);
    }

    [Fact]
    public void Several_opening_periods_in_a_day_in_time_order()
    {
        var hours = new[]
        {
            new OpeningHours(DayOfWeek.Tuesday, T.H(14), T.H(16)),
            new OpeningHours(DayOfWeek.Tuesday, T.H(8), T.H(10, 30)),
            new OpeningHours(DayOfWeek.Wednesday, T.H(10), T.H(11)),
        };
        var calendar = Calendar("Europe/Paris", 60, hours);

        Assert.Equal(
            ["2027-03-02T08:00:00+01:00", "2027-03-02T09:00:00+01:00", "2027-03-02T14:00:00+01:00", "2027-03-02T15:00:00+01:00"],
            T.Iso(calendar.Day(T.Day("2027-03-02")).Starts));
        Assert.Equal(["2027-03-03T10:00:00+01:00"], T.Iso(calendar.Day(T.Day("2027-03-03")).Starts));
        Assert.Equal(0, calendar.Day(T.Day("2027-03-01")).Count);
    }

    [Fact]
    public void TryFind_accepts_the_same_instant_written_in_any_offset()
    {
        var calendar = Calendar("Europe/Paris", 60, T.EveryDay(T.H(9), T.H(12)));
        var expected = new SlotRef(T.Day("2027-03-02"), 1);

        foreach (var written in new[] { "2027-03-02T10:00+01:00", "2027-03-02T09:00Z", "2027-03-02T18:00+09:00", "2027-03-02T04:00-05:00" })
        {
            Assert.True(calendar.TryFind(T.At(written), out var slot), written);
            Assert.Equal(expected, slot);
        }
        Assert.Equal("2027-03-02T10:00:00+01:00", T.Iso(calendar.StartOf(expected)));
        Assert.False(calendar.TryFind(T.At("2027-03-02T11:00Z"), out _)); // 12:00 in Paris: closing time
        Assert.False(calendar.TryFind(T.At("2027-03-02T10:30+01:00"), out _));
        Assert.False(calendar.TryFind(T.At("2027-03-02T10:00:01+01:00"), out _));
    }

    [Fact]
    public void TryFind_uses_the_local_date_of_the_centre()
    {
        var reunion = Calendar("Indian/Reunion", 60, T.EveryDay(T.H(1), T.H(3)));
        Assert.True(reunion.TryFind(T.At("2027-03-01T21:00Z"), out var slot));
        Assert.Equal(new SlotRef(T.Day("2027-03-02"), 0), slot);
        Assert.Equal("2027-03-02T01:00:00+04:00", T.Iso(reunion.StartOf(slot)));

        var cayenne = Calendar("America/Cayenne", 60, T.EveryDay(T.H(20), T.H(23)));
        Assert.True(cayenne.TryFind(T.At("2027-03-03T01:00Z"), out slot));
        Assert.Equal(new SlotRef(T.Day("2027-03-02"), 2), slot);
        Assert.Equal(T.Day("2027-03-02"), cayenne.LocalDate(T.At("2027-03-03T01:00Z")));
    }

    [Fact]
    public void TryFind_on_dst_days()
    {
        var calendar = Calendar("Europe/Paris", 30, Sundays((T.H(1), T.H(4))));

        // The second 02:30 of 31 October (02:30 CET) is not offered; the first one (02:30 CEST) is.
        Assert.False(calendar.TryFind(T.At("2027-10-31T02:30+01:00"), out _));
        Assert.True(calendar.TryFind(T.At("2027-10-31T00:30Z"), out var first));
        Assert.Equal(new SlotRef(T.Day("2027-10-31"), 3), first);

        // 02:30 "CET" on 28 March does not exist on the wall clock, but it is the instant 03:30 CEST.
        Assert.True(calendar.TryFind(T.At("2027-03-28T02:30+01:00"), out var spring));
        Assert.Equal(new SlotRef(T.Day("2027-03-28"), 3), spring);
        Assert.Equal("2027-03-28T03:30:00+02:00", T.Iso(calendar.StartOf(spring)));
    }

    [Fact]
    public void Local_dates_and_capacity()
    {
        var calendar = new CentreCalendar(T.Settings(lines: 7));

        Assert.Equal(7, calendar.Capacity);
        Assert.Equal(T.Day("2027-03-02"), calendar.LocalDate(T.At("2027-03-01T23:30Z")));
        Assert.Equal(T.Day("2027-03-01"), calendar.LocalDate(T.At("2027-03-01T22:30Z")));
        Assert.Equal("2027-07-01T02:00:00+02:00", T.Iso(calendar.Local(T.At("2027-07-01T00:00Z"))));
    }
}
