using Booking.Grains.Domain;
using static Booking.Domain.Tests.CentreState;

namespace Booking.Domain.Tests;

/// <summary><see cref="Centre.DailyAvailability"/> is <see cref="Centre.FirstDoseSlots"/> over the
/// whole horizon, summed up per local day.</summary>
public class DailyAvailabilityTests
{
    private static string Line(DaySummary d) =>
        $"{d.Date:yyyy-MM-dd} {T.Iso(d.FirstStart)} {T.Iso(d.LastEnd)} {d.Slots} {d.Seats}";

    private static string[] FromSlots(Centre centre, string vaccine, DateTimeOffset now)
    {
        var today = centre.Calendar.LocalDate(now);
        var length = TimeSpan.FromMinutes(centre.Settings!.SlotMinutes);
        return centre.FirstDoseSlots(vaccine, today, today.AddDays(centre.Settings.BookingHorizonDays), now)
            .GroupBy(s => centre.Calendar.LocalDate(s.Start))
            .Select(g => Line(new DaySummary(g.Key, g.First().Start, g.Last().Start + length, g.Count(), g.Sum(s => s.Remaining))))
            .ToArray();
    }

    [Fact]
    public void Days_sum_up_the_first_dose_slots()
    {
        var now = T.At("2027-03-01T09:30+01:00");
        var log = FactLog.Configured(T.Settings(), T.Day("2027-03-01"));
        var c = log.Centre;
        log.Deliver("d-janssen", "janssen", T.Day("2027-03-01"), 10);
        log.Book(T.Request("J", "janssen", S(c, "2027-03-02", 10)), now);

        var days = c.DailyAvailability("janssen", now);

        Assert.Equal(29, days.Count);
        Assert.Equal(
        [
            "2027-03-01 2027-03-01T10:00:00+01:00 2027-03-01T12:00:00+01:00 2 4",
            "2027-03-02 2027-03-02T09:00:00+01:00 2027-03-02T12:00:00+01:00 3 5",
            "2027-03-03 2027-03-03T09:00:00+01:00 2027-03-03T12:00:00+01:00 3 6",
        ], days.Take(3).Select(Line));
        Assert.Equal("2027-03-28 2027-03-28T09:00:00+02:00 2027-03-28T12:00:00+02:00 3 6", Line(days[27]));
        Assert.Equal(FromSlots(c, "janssen", now), days.Select(Line));
        // Not offered, nothing delivered, or no centre: nothing.
        Assert.Empty(c.DailyAvailability("moderna", now));
        Assert.Empty(c.DailyAvailability("pfizer", now));
        Assert.Empty(new Centre("nowhere", T.Catalog).DailyAvailability("janssen", now));
    }

    public static TheoryData<string, string> Centres => new()
    {
        { "Europe/Paris", "2027-03-20T02:30+01:00" },
        { "Europe/Paris", "2027-10-25T02:30+01:00" },
        { "America/Cayenne", "2027-03-20T02:30-03:00" },
        { "Indian/Reunion", "2027-03-20T02:30+04:00" },
    };

    /// <summary>Night and evening hours (across the changes of time in Paris), two lines, stock that
    /// runs out for some first doses and days partly or fully booked.</summary>
    [Theory]
    [MemberData(nameof(Centres))]
    public void Every_vaccine_every_zone_matches_the_first_dose_slots(string zone, string nowText)
    {
        var now = T.At(nowText);
        var hours = Enum.GetValues<DayOfWeek>()
            .SelectMany(d => new[] { new OpeningHours(d, T.H(1), T.H(4)), new OpeningHours(d, T.H(21), T.H(23)) }).ToArray();
        var settings = T.Settings(zone: zone, hours: hours, vaccines: ["pfizer", "janssen", "quick"], closed: [T.Day(nowText[..10]).AddDays(3)]);
        var today = T.Day(nowText[..10]);
        var log = FactLog.Configured(settings, today);
        var c = log.Centre;
        log.Deliver("d-pfizer", "pfizer", today, 7);
        log.Deliver("d-pfizer-2", "pfizer", today.AddDays(30), 4);
        log.Deliver("d-janssen", "janssen", today, 30);
        log.Deliver("d-quick", "quick", today, 5);
        for (var d = 0; d < 12; d++)
        {
            var starts = c.Calendar.Day(today.AddDays(d)).Starts;
            for (var k = 0; k < starts.Count; k++)
            {
                var vaccine = ((d + k) % 4) switch { 0 => "pfizer", 1 => "quick", _ => "janssen" };
                if (starts[k] > now && (d * 7 + k) % 3 != 0
                    && c.DecideBook(T.Request($"R{d}-{k}", vaccine, starts[k]), now).Fact is { } booked)
                {
                    log.Apply(booked);
                }
            }
        }

        var total = 0;
        foreach (var vaccine in new[] { "pfizer", "janssen", "quick", "moderna" })
        {
            var days = c.DailyAvailability(vaccine, now);
            Assert.Equal(FromSlots(c, vaccine, now), days.Select(Line));
            Assert.All(days, d => Assert.Equal(d.Date, c.Calendar.LocalDate(d.FirstStart)));
            total += days.Count;
        }
        Assert.InRange(total, 1, 3 * 29);
        AssertConsistent(c, today.AddDays(-1), today.AddDays(60));
        log.AssertRebuildsSame(today.AddDays(-1), today.AddDays(60));
    }
}
