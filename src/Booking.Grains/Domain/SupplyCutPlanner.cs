namespace Booking.Grains.Domain;

/// <summary>What a supply cut does to a centre: the bookings to postpone, and how many stay.</summary>
public sealed record SupplyCutPlan(IReadOnlyList<BookingRecord> Postpone, int Kept);

/// <summary>
/// Decides which bookings keep their doses when a vaccine's deliveries shrink. Appointments already
/// given are facts and always count. Then second doses of people who already had their first are
/// kept first, then the other bookings in booking order; a booking that no longer fits is postponed
/// as a whole (both doses), so the earliest-booked keep their places and the fewest, latest-booked
/// pairs move. Each step is one check on a <see cref="DoseTimeline"/>: O(log days) per booking.
/// </summary>
public static class SupplyCutPlanner
{
    public static SupplyCutPlan Plan(
        DateOnly origin,
        IEnumerable<(DateOnly Date, int Doses)> usableDeliveries,
        IEnumerable<BookingRecord> activeBookings,
        Func<DateTimeOffset, DateOnly> localDate,
        DateTimeOffset now)
    {
        var timeline = new DoseTimeline(origin);
        foreach (var (date, doses) in usableDeliveries)
        {
            timeline.AddDelivered(date, doses);
        }
        var bookings = activeBookings.ToList();
        foreach (var booking in bookings)
        {
            foreach (var given in booking.Appointments.Where(a => a.Start <= now))
            {
                timeline.AddBooked(localDate(given.Start), 1);
            }
        }
        // Second doses of people already part-vaccinated first; within each group, booking order.
        var ordered = bookings
            .OrderBy(b => StartedOrSecondOnly(b, now) ? 0 : 1)
            .ThenBy(b => b.Number);
        var postpone = new List<BookingRecord>();
        var kept = 0;
        foreach (var booking in ordered)
        {
            var days = booking.Appointments.Where(a => a.Start > now).Select(a => localDate(a.Start)).ToList();
            days.ForEach(d => timeline.AddBooked(d, 1));
            if (timeline.FirstShortDay() is null)
            {
                kept++;
                continue;
            }
            days.ForEach(d => timeline.AddBooked(d, -1));
            postpone.Add(booking);
        }
        return new SupplyCutPlan(postpone, kept);
    }

    private static bool StartedOrSecondOnly(BookingRecord b, DateTimeOffset now) =>
        b.FirstDoseGivenOn is not null || b.Appointments.Any(a => a.Start <= now);
}
