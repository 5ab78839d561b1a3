using Booking.Grains.Domain;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Domain.Tests;

/// <summary>
/// A calendar gives a day without a clock change one offset for all its slots. Its slots must be
/// those of the rule applied slot by slot, in every zone, on the days of a change and around them.
/// </summary>
public class CentreCalendarProperties
{
    private static readonly string[] Zones = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Zones that change their clocks at or next to midnight, where a day's own midnight may be skipped or repeated.</summary>
    private static readonly string[] MidnightChanges = ["America/Santiago", "America/Asuncion", "Asia/Beirut", "America/Havana", "Atlantic/Azores", "Africa/Cairo"];

    public sealed record Case(string Zone, DateOnly Date, int SlotMinutes, (TimeOnly Open, TimeOnly Close)[] Periods)
    {
        public override string ToString() =>
            $"{Zone} {Date:yyyy-MM-dd} every {SlotMinutes} min, {string.Join(", ", Periods.Select(p => $"{p.Open:HH:mm}-{p.Close:HH:mm}"))}";
    }

    /// <summary>Opening periods that do not overlap, on a five-minute grid of the whole day.</summary>
    private static readonly Gen<(TimeOnly, TimeOnly)[]> Periods = Gen.Choose(0, 24 * 12 - 1).ArrayOf()
        .Select(marks => marks.Distinct().Order().Take(6).ToArray())
        .Where(marks => marks.Length >= 2)
        .Select(marks => Enumerable.Range(0, marks.Length / 2)
            .Select(i => (new TimeOnly(0, 0).Add(TimeSpan.FromMinutes(5 * marks[2 * i])), new TimeOnly(0, 0).Add(TimeSpan.FromMinutes(5 * marks[2 * i + 1]))))
            .ToArray());

    /// <summary>Half the cases fall on a day with a clock change or next to one, found from the zone's
    /// UTC offsets hour by hour, independently of the calendar.</summary>
    private static readonly Arbitrary<Case> Cases = Gen.Frequency((3, Gen.Elements(Zones)), (1, Gen.Elements(MidnightChanges)))
        .SelectMany(zone => Gen.Choose(2024, 2032).SelectMany(year =>
        {
            var changes = ChangeDays(zone, year);
            var anyDay = Gen.Choose(0, 364).Select(d => new DateOnly(year, 1, 1).AddDays(d));
            return (changes.Length == 0 ? anyDay : Gen.Frequency(
                    (1, anyDay),
                    (1, Gen.Elements(changes).SelectMany(day => Gen.Choose(-1, 1).Select(day.AddDays)))))
                .Select(date => (zone, date));
        }))
        .SelectMany(zd => Gen.Elements(5, 10, 15, 20, 30, 45, 60, 90, 240)
            .SelectMany(minutes => Periods.Select(periods => new Case(zd.zone, zd.date, minutes, periods))))
        .ToArbitrary();

    [Property(MaxTest = 500)]
    public Property A_day_has_the_slots_of_the_rule_applied_slot_by_slot() =>
        Prop.ForAll(Cases, c =>
        {
            var hours = c.Periods.Select(p => new OpeningHours(c.Date.DayOfWeek, p.Open, p.Close)).ToArray();
            var calendar = new CentreCalendar(T.Settings(zone: c.Zone, slotMinutes: c.SlotMinutes, hours: hours));

            var day = calendar.Day(c.Date);

            Assert.Equal(SlotBySlot(c), T.Iso(day.Starts));
        });

    [Theory]
    [InlineData("America/Santiago", "2027-09-05")]
    [InlineData("America/Santiago", "2027-04-04")]
    [InlineData("America/Asuncion", "2024-03-24")]
    [InlineData("Asia/Beirut", "2027-03-28")]
    [InlineData("Atlantic/Azores", "2027-10-31")]
    [InlineData("America/Havana", "2027-11-07")]
    [InlineData("Europe/Paris", "2027-03-28")]
    [InlineData("Europe/Paris", "2027-10-31")]
    [InlineData("Australia/Lord_Howe", "2027-04-04")]
    [InlineData("Africa/El_Aaiun", "2026-03-22")]
    public void Days_around_a_clock_change_every_five_minutes_of_the_whole_day(string zone, string date)
    {
        foreach (var offset in new[] { -1, 0, 1 })
        {
            var c = new Case(zone, T.Day(date).AddDays(offset), 5, [(new TimeOnly(0, 0), new TimeOnly(23, 59))]);
            var calendar = new CentreCalendar(T.Settings(zone: zone, slotMinutes: 5,
                hours: [new OpeningHours(c.Date.DayOfWeek, c.Periods[0].Open, c.Periods[0].Close)]));

            Assert.Equal(SlotBySlot(c), T.Iso(calendar.Day(c.Date).Starts));
        }
    }

    /// <summary>The calendar's rule with a zone look-up for every slot: skipped local times are not
    /// offered, repeated ones once at their first occurrence (the larger offset).</summary>
    private static IEnumerable<string> SlotBySlot(Case c)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(c.Zone);
        var starts = new List<DateTimeOffset>();
        foreach (var (open, close) in c.Periods)
        {
            for (var t = open.ToTimeSpan(); t + TimeSpan.FromMinutes(c.SlotMinutes) <= close.ToTimeSpan(); t += TimeSpan.FromMinutes(c.SlotMinutes))
            {
                var local = c.Date.ToDateTime(TimeOnly.FromTimeSpan(t), DateTimeKind.Unspecified);
                if (!zone.IsInvalidTime(local))
                {
                    starts.Add(new DateTimeOffset(local, zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local)));
                }
            }
        }
        return T.Iso(starts.OrderBy(s => s.UtcTicks).DistinctBy(s => s.UtcTicks).ToList());
    }

    private static readonly Dictionary<(string, int), DateOnly[]> Changes = [];

    /// <summary>Local dates on which the zone's UTC offset changes, seen hour by hour in UTC.</summary>
    private static DateOnly[] ChangeDays(string zoneId, int year)
    {
        lock (Changes)
        {
            if (!Changes.TryGetValue((zoneId, year), out var days))
            {
                var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
                var found = new List<DateOnly>();
                var previous = zone.GetUtcOffset(new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc));
                for (var at = new DateTime(year, 1, 1, 1, 0, 0, DateTimeKind.Utc); at.Year == year; at = at.AddHours(1))
                {
                    var offset = zone.GetUtcOffset(at);
                    if (offset != previous)
                    {
                        found.Add(DateOnly.FromDateTime(at + previous));
                        previous = offset;
                    }
                }
                Changes[(zoneId, year)] = days = found.ToArray();
            }
            return days;
        }
    }
}
