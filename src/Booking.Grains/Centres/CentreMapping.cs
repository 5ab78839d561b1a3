using Booking.Abstractions;
using Booking.Grains.Domain;

namespace Booking.Grains.Centres;

/// <summary>Translation between the grain contracts and the plain domain model.</summary>
internal static class CentreMapping
{
    public static CentreSettings ToSettings(this CentreDefinition d) => new(
        d.Name, d.Address, d.Postcode, d.City, d.Latitude, d.Longitude, d.TimeZone, d.Lines, d.SlotMinutes,
        d.OpeningHours.Select(h => new OpeningHours(h.Day, h.Open, h.Close)).ToArray(),
        d.ClosedDates.ToArray(), d.Vaccines.ToArray(), d.BookingHorizonDays, d.BookForecastDoses);

    public static CentreDefinition ToDefinition(this CentreSettings s) => new(
        s.Name, s.Address, s.Postcode, s.City, s.Latitude, s.Longitude, s.TimeZone, s.Lines, s.SlotMinutes,
        s.OpeningHours.Select(h => new OpeningPeriod(h.Day, h.Open, h.Close)).ToArray(),
        s.ClosedDates.ToArray(), s.Vaccines.ToArray(), s.BookingHorizonDays, s.BookForecastDoses);

    public static BookingInfo ToInfo(this BookingRecord b, string centreId) => new(
        b.Reference,
        b.Status.ToString().ToLowerInvariant(),
        b.Vaccine,
        centreId,
        b.Appointments.Select(a => new AppointmentInfo(a.Dose, centreId, a.Start)).ToArray());

    public static SupplyCutInfo ToInfo(this SupplyCutPlan plan, Delivery delivery, DateTimeOffset now) => new(
        delivery.ToInfo(),
        plan.Postpone
            .SelectMany(b => b.Appointments.Where(a => a.Start > now).Select(a => new PostponedAppointment(b.Reference, a.Dose, a.Start)))
            .ToArray(),
        plan.Kept);

    public static DeliveryInfo ToInfo(this Delivery d) =>
        new(d.Id, d.Vaccine, d.Date, d.Doses, d.Status.ToString().ToLowerInvariant());

    public static Problem ToProblem(this Refusal r) => new(
        r.Reason switch
        {
            RefusalReason.Invalid => ProblemKind.Validation,
            RefusalReason.CentreNotFound => ProblemKind.CentreNotFound,
            RefusalReason.BookingNotFound => ProblemKind.BookingNotFound,
            RefusalReason.SlotFull => ProblemKind.SlotFull,
            RefusalReason.NoSecondDose => ProblemKind.NoSecondDose,
            RefusalReason.OutOfStock => ProblemKind.OutOfStock,
            RefusalReason.AlreadyBooked => ProblemKind.AlreadyBooked,
            RefusalReason.NotActive => ProblemKind.NotActive,
            RefusalReason.DeliveryNotFound => ProblemKind.DeliveryNotFound,
            RefusalReason.WaitlistEntryNotFound => ProblemKind.WaitlistEntryNotFound,
            RefusalReason.SupplyShortfall => ProblemKind.SupplyShortfall,
            _ => throw new ArgumentOutOfRangeException(nameof(r), r.Reason, "Unknown refusal."),
        },
        r.Detail,
        r.Field);
}
