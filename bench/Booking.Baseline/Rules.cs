using System.Security.Cryptography;
using System.Text;
using Booking.Grains.Domain;

namespace Booking.Baseline;

/// <summary>The same catalogue and rules as the grain engine (API.md, README "Domain rules").</summary>
public static class Rules
{
    /// <summary>The engine's own catalogue, so that both systems book against the same rules.</summary>
    public static readonly Dictionary<string, Vaccine> Catalogue = VaccineCatalog.Default.All.ToDictionary(v => v.Id, StringComparer.Ordinal);

    public static string NewDeliveryId() => "dl-" + RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyz23456789", 10);

    public static string Hash(byte[] secret, string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(value)));

    public static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>
    /// The slots of one local date, following the wall clock: a start that does not exist (spring
    /// forward) is skipped, one that happens twice (fall back) is offered once, at its first occurrence.
    /// </summary>
    public static IEnumerable<(DateTimeOffset Start, int LocalMinute)> SlotsOn(DateOnly date, CentreDef c, TimeZoneInfo zone)
    {
        if (c.ClosedDates.Contains(date))
        {
            return [];
        }
        var step = TimeSpan.FromMinutes(c.SlotMinutes);
        var starts = new List<(DateTimeOffset, int)>();
        foreach (var period in c.OpeningHours.Where(h => h.Day == date.DayOfWeek).OrderBy(h => h.Open))
        {
            var close = period.Close.ToTimeSpan();
            for (var t = period.Open.ToTimeSpan(); t + step <= close; t += step)
            {
                var local = date.ToDateTime(TimeOnly.FromTimeSpan(t), DateTimeKind.Unspecified);
                if (zone.IsInvalidTime(local))
                {
                    continue;
                }
                var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
                starts.Add((new DateTimeOffset(local, offset), (int)t.TotalMinutes));
            }
        }
        return starts.OrderBy(s => s.Item1.UtcTicks).DistinctBy(s => s.Item1.UtcTicks);
    }
}

public sealed record Opening(DayOfWeek Day, TimeOnly Open, TimeOnly Close);

public sealed record CentreDef(
    string Id, string Name, string Address, string Postcode, string City, double Latitude, double Longitude, string TimeZone,
    int Lines, int SlotMinutes, IReadOnlyList<Opening> OpeningHours, IReadOnlyList<DateOnly> ClosedDates, IReadOnlyList<string> Vaccines,
    int BookingHorizonDays, bool BookForecastDoses)
{
    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

/// <summary>
/// One vaccine's stock over days, from the rows of stock_days: the running "delivered so far −
/// booked so far" must never go below zero on any day (I2). Days without a row change nothing.
/// </summary>
public sealed class StockView
{
    private readonly int[] _days;
    private readonly long[] _running;

    public StockView(IReadOnlyList<(DateOnly Day, int Delivered, int Booked)> rows, IReadOnlyDictionary<DateOnly, int>? extraBooked = null)
    {
        var all = new SortedDictionary<int, long>();
        foreach (var (day, delivered, booked) in rows)
        {
            all[day.DayNumber] = all.GetValueOrDefault(day.DayNumber) + delivered - booked;
        }
        if (extraBooked is not null)
        {
            foreach (var (day, n) in extraBooked)
            {
                all[day.DayNumber] = all.GetValueOrDefault(day.DayNumber) - n;
            }
        }
        _days = all.Keys.ToArray();
        _running = new long[_days.Length];
        long sum = 0;
        var i = 0;
        foreach (var v in all.Values)
        {
            sum += v;
            _running[i++] = sum;
        }
    }

    /// <summary>Smallest running slack over the days in [from, until) (until null: to the end).</summary>
    public long MinSlack(DateOnly from, DateOnly? until = null)
    {
        var found = Array.BinarySearch(_days, from.DayNumber);
        var start = found < 0 ? ~found : found;
        // A day without a row has the slack carried from the last row before it.
        var min = found >= 0 ? long.MaxValue : start > 0 ? _running[start - 1] : 0;
        for (var i = start; i < _days.Length && (until is null || _days[i] < until.Value.DayNumber); i++)
        {
            min = Math.Min(min, _running[i]);
        }
        return min == long.MaxValue ? _running[start] : min;
    }

    public bool CanTake(DateOnly day) => MinSlack(day) >= 1;

    public bool CanTakePair(DateOnly first, DateOnly second) => MinSlack(first, second) >= 1 && MinSlack(second) >= 2;

    public bool Covered() => _running.Length == 0 || _running.Min() >= 0;
}
