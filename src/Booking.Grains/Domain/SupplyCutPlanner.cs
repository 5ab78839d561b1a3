namespace Booking.Grains.Domain;

/// <summary>What a supply cut does to a centre: the bookings to postpone, and how many stay.
/// <see cref="ContradictsGiven"/>: injections already given used more doses than the changed
/// deliveries hold, so the change cannot be true and no plan can mend it.</summary>
public sealed record SupplyCutPlan(IReadOnlyList<BookingRecord> Postpone, int Kept, bool ContradictsGiven = false);

/// <summary>
/// Decides which bookings keep their doses when a vaccine's deliveries shrink. Appointments already
/// given (of these bookings, and <c>givenEarlier</c> by bookings postponed or cancelled since) are
/// facts and always count. Then second doses of people who already had their first are
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
        IEnumerable<DateOnly> givenEarlier,
        Func<DateTimeOffset, DateOnly> localDate,
        DateTimeOffset now)
    {
        var timeline = new DoseTimeline(origin);
        foreach (var (date, doses) in usableDeliveries)
        {
            timeline.AddDelivered(date, doses);
        }
        foreach (var day in givenEarlier)
        {
            timeline.AddBooked(day, 1);
        }
        var bookings = activeBookings.ToList();
        foreach (var booking in bookings)
        {
            foreach (var given in Holding(booking).Where(a => a.Start <= now))
            {
                timeline.AddBooked(localDate(given.Start), 1);
            }
        }
        if (timeline.FirstShortDay() is not null)
        {
            return new SupplyCutPlan([], 0, ContradictsGiven: true);
        }
        // Second doses of people already part-vaccinated first, then bookings, then offers not yet
        // accepted (withdrawing one postpones nobody); within each group, booking order.
        var ordered = bookings
            .OrderBy(b => StartedOrSecondOnly(b, now) ? 0 : b.Status == BookingStatus.Offered ? 2 : 1)
            .ThenBy(b => b.Number);
        var postpone = new List<BookingRecord>();
        var kept = 0;
        foreach (var booking in ordered)
        {
            var days = Holding(booking).Where(a => a.Start > now).Select(a => localDate(a.Start)).ToList();
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

    /// <summary>What the booking holds beyond what it had given before (counted in givenEarlier).</summary>
    private static IEnumerable<Appointment> Holding(BookingRecord b) => b.Given is { } given ? b.Appointments.Except(given) : b.Appointments;

    private static bool StartedOrSecondOnly(BookingRecord b, DateTimeOffset now) =>
        b.FirstDoseGivenOn is not null || b.Appointments.Any(a => a.Start <= now);
}
