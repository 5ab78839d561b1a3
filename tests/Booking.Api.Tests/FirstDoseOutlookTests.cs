using Booking.Api.ReadModel;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Api.Tests;

/// <summary>What a search shows of a centre, against the rules written as a query over every day.</summary>
public class FirstDoseOutlookTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 28, 23, 30, 0, TimeSpan.Zero);

    public sealed record Case(string TimeZone, (string Vaccine, DayAvailability Day)[] Days, string? Vaccine, int MinutesAfter)
    {
        public DateTimeOffset At => Now.AddMinutes(MinutesAfter);

        public override string ToString() =>
            $"{TimeZone}, at {At:O}, vaccine {Vaccine ?? "any"}: " +
            string.Join("; ", Days.Select(d => $"{d.Vaccine} {d.Day.Date} {d.Day.FirstStart:O}–{d.Day.LastEnd:O} ×{d.Day.Slots}"));
    }

    /// <summary>Days around the moment asked, in zones either side of UTC, across the spring change
    /// of clocks in Paris; starts before and after the moment, days already over.</summary>
    private static readonly Gen<(string, DayAvailability)> Days =
        from vaccine in Gen.Elements("pfizer", "moderna")
        from dayOffset in Gen.Choose(-3, 10)
        from startMinutes in Gen.Choose(-6 * 60, 30 * 60)
        from length in Gen.Choose(0, 14 * 60)
        from slots in Gen.Choose(0, 40)
        select (vaccine, new DayAvailability
        {
            Date = DateOnly.FromDateTime(Now.UtcDateTime).AddDays(dayOffset),
            FirstStart = Now.AddDays(dayOffset).AddMinutes(startMinutes - 23 * 60 - 30),
            LastEnd = Now.AddDays(dayOffset).AddMinutes(startMinutes + length - 23 * 60 - 30),
            Slots = slots,
            Seats = slots,
        });

    private static readonly Arbitrary<Case> Cases =
        (from zone in Gen.Elements("Europe/Paris", "America/Cayenne", "Indian/Reunion", "Pacific/Kiritimati")
         from days in Days.ArrayOf()
         from vaccine in Gen.Elements<string?>(null, "pfizer", "moderna")
         from minutes in Gen.Choose(-24 * 60, 3 * 24 * 60)
         select new Case(zone, days, vaccine, minutes)).ToArbitrary();

    private static CentreAvailability Centre(Case c) =>
        new(new CentreListing("c-1", "Centre", "", "", "", 48.8, 2.3, c.TimeZone, ["pfizer", "moderna"]),
            c.Days.GroupBy(d => d.Vaccine).ToDictionary(g => g.Key, g => (IReadOnlyList<DayAvailability>)g.Select(d => d.Day).ToList()));

    [Property(MaxTest = 500)]
    public Property The_outlook_follows_the_rules_over_every_day() =>
        Prop.ForAll(Cases, c =>
        {
            var centre = Centre(c);
            var now = c.At;
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(c.TimeZone)).DateTime);
            var open = centre.ByVaccine
                .Where(v => c.Vaccine is null || v.Key == c.Vaccine)
                .SelectMany(v => v.Value)
                .Where(d => d.Date >= today && d.LastEnd > now)
                .ToArray();
            var expectedNext = open.Where(d => d.FirstStart > now).Select(d => (DateTimeOffset?)d.FirstStart).Min();
            var expectedFree = open.Where(d => d.Date < today.AddDays(7)).Sum(d => d.Slots);

            var (next, free) = centre.FirstDoseOutlook(c.Vaccine, now);

            Assert.Equal(expectedNext, next);
            Assert.Equal(expectedFree, free);
        });

    [Fact]
    public void The_next_slot_skips_days_under_way_and_the_week_counts_from_the_centres_own_today()
    {
        // 23:30 UTC on 28 March is 00:30 on the 29th in Paris: the 28th no longer counts.
        static DayAvailability Day(int date, DateTimeOffset first, DateTimeOffset last, int slots) => new()
        {
            Date = new DateOnly(2026, 3, 1).AddDays(date - 1),
            FirstStart = first,
            LastEnd = last,
            Slots = slots,
            Seats = slots,
        };
        static DateTimeOffset Utc(int day, int hour) => new DateTimeOffset(2026, 3, 1, hour, 0, 0, TimeSpan.Zero).AddDays(day - 1);
        var centre = new CentreAvailability(
            new CentreListing("c-1", "Centre", "", "", "", 48.8, 2.3, "Europe/Paris", ["pfizer", "moderna"]),
            new Dictionary<string, IReadOnlyList<DayAvailability>>
            {
                ["pfizer"] =
                [
                    Day(28, Utc(28, 8), Utc(28, 18), 100),
                    Day(29, Utc(28, 23), Utc(29, 6), 5),
                    Day(31, Utc(31, 9), Utc(31, 12), 7),
                    Day(36, Utc(36, 9), Utc(36, 12), 11),
                ],
                // Its first slot starts at this very moment: it has started, so it is not the next one.
                ["moderna"] = [Day(29, Now, Utc(29, 1), 2), Day(30, Utc(30, 8), Utc(30, 9), 3)],
            });

        Assert.Equal((Utc(30, 8), 17), centre.FirstDoseOutlook(null, Now));
        Assert.Equal((Utc(30, 8), 5), centre.FirstDoseOutlook("moderna", Now));
        Assert.Equal((Utc(31, 9), 12), centre.FirstDoseOutlook("pfizer", Now));
        Assert.Equal(((DateTimeOffset?)null, 0), centre.FirstDoseOutlook("janssen", Now));
    }
}
