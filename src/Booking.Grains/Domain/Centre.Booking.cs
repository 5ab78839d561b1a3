namespace Booking.Grains.Domain;

public sealed partial class Centre
{
    public Decision<PairBooked> DecideBook(PairRequest request, DateTimeOffset now)
    {
        if (CheckBookable(request.Vaccine, request.IdentityKey, out var vaccine) is { } refused)
        {
            return refused;
        }
        if (CheckFirstDoseSlot(request.FirstDose, now, out var first) is { } badFirst)
        {
            return badFirst;
        }
        var stock = _stock.GetValueOrDefault(vaccine.Id);
        if (!vaccine.NeedsSecondDose)
        {
            if (request.SecondDose is not null)
            {
                return Refusal.Invalid("secondDose", $"'{vaccine.Id}' is a single-dose vaccine.");
            }
            if (Remaining(first) <= 0)
            {
                return SlotFull("first");
            }
            return stock is not null && stock.CanTake(first.Date)
                ? Booked(new Holder(request.Reference, request.IdentityKey, request.BirthDateCheck, request.ProtectedContact, request.Initials), vaccine, now, null, (1, first))
                : OutOfStock();
        }
        var second = ChooseSecondDose(vaccine.MinIntervalDays, vaccine.MaxIntervalDays, stock, first, request.SecondDose);
        if (second.Refusal is { } noSecond)
        {
            return noSecond;
        }
        return Booked(new Holder(request.Reference, request.IdentityKey, request.BirthDateCheck, request.ProtectedContact, request.Initials), vaccine, now, null, (1, first), (2, second.Slot));
    }

    public Decision<PairBooked> DecideSecondDose(SecondDoseRequest request, DateTimeOffset now)
    {
        if (CheckBookable(request.Vaccine, request.IdentityKey, out var vaccine) is { } refused)
        {
            return refused;
        }
        if (!vaccine.NeedsSecondDose)
        {
            return Refusal.Invalid("vaccine", $"'{vaccine.Id}' is a single-dose vaccine.");
        }
        var today = Calendar.LocalDate(now);
        if (request.FirstDoseGivenOn > today)
        {
            return Refusal.Invalid("firstDoseGivenOn", "The first dose must already have been given.");
        }
        var stock = _stock.GetValueOrDefault(vaccine.Id);
        SlotRef slot;
        if (request.SecondDose is { } wanted)
        {
            if (!Calendar.TryFind(wanted, out slot) || wanted <= now)
            {
                return Refusal.Invalid("secondDose", "No future slot of this centre starts at that time.");
            }
            if (!vaccine.IntervalAllows(request.FirstDoseGivenOn, slot.Date))
            {
                return OutsideInterval(vaccine.MinIntervalDays, vaccine.MaxIntervalDays);
            }
            if (Remaining(slot) <= 0)
            {
                return SlotFull("second");
            }
            if (stock is null || !stock.CanTake(slot.Date))
            {
                return OutOfStock();
            }
        }
        else
        {
            var from = Max(request.FirstDoseGivenOn.AddDays(vaccine.MinIntervalDays), today);
            var pick = stock is null ? null : EarliestSingleDose(stock, from, request.FirstDoseGivenOn.AddDays(vaccine.MaxIntervalDays), now);
            if (pick is not { } found)
            {
                return new Refusal(RefusalReason.NoSecondDose, "No second-dose slot with a dose is left inside the interval.");
            }
            slot = found;
        }
        return Booked(new Holder(request.Reference, request.IdentityKey, request.BirthDateCheck, request.ProtectedContact, request.Initials), vaccine, now, request.FirstDoseGivenOn, (2, slot));
    }

    /// <summary>
    /// Moves a booking's appointments, all or nothing. A null first dose keeps the current one; a
    /// null second dose keeps the current one if the first did not move, or lets the engine pick
    /// one. A first dose already given cannot move. The second dose stays inside the interval the
    /// booking was made with. A postponed booking is rescheduled the same way.
    /// </summary>
    public Decision<BookingRescheduled> DecideReschedule(string reference, DateTimeOffset? newFirst, DateTimeOffset? newSecond, DateTimeOffset now)
    {
        if (!_bookings.TryGetValue(reference, out var booking) || booking.Status == BookingStatus.Offered)
        {
            return new Refusal(RefusalReason.BookingNotFound, "No such booking.");
        }
        if (booking.Status == BookingStatus.Cancelled)
        {
            return new Refusal(RefusalReason.NotActive, "The booking is cancelled.");
        }
        if (booking.Status == BookingStatus.Postponed && _activeByIdentity.ContainsKey(booking.IdentityKey))
        {
            return new Refusal(RefusalReason.AlreadyBooked, "This person has booked again since this booking was postponed.");
        }
        if (!Settings!.Vaccines.Contains(booking.Vaccine))
        {
            return Refusal.Invalid("vaccine", $"This centre no longer offers '{booking.Vaccine}'.");
        }
        // Decide as if the booking's own seats and doses were free, then put them back.
        var holds = HoldsPlace(booking);
        if (holds)
        {
            Hold(booking, -1);
        }
        try
        {
            return Reschedule(booking, newFirst, newSecond, now);
        }
        finally
        {
            if (holds)
            {
                Hold(booking, +1);
            }
        }
    }

    public Decision<BookingCancelled> DecideCancel(string reference, DateTimeOffset now)
    {
        if (!_bookings.TryGetValue(reference, out var booking) || booking.Status == BookingStatus.Offered)
        {
            return new Refusal(RefusalReason.BookingNotFound, "No such booking.");
        }
        if (booking.Status == BookingStatus.Cancelled)
        {
            return new Refusal(RefusalReason.NotActive, "The booking is already cancelled.");
        }
        return new BookingCancelled(reference, now);
    }

    private Decision<BookingRescheduled> Reschedule(BookingRecord booking, DateTimeOffset? newFirst, DateTimeOffset? newSecond, DateTimeOffset now)
    {
        var stock = TimelineFor(booking.Vaccine);
        var oldFirst = booking.Dose(1);
        var oldSecond = booking.Dose(2);
        if (oldFirst is null || oldFirst.Start <= now)
        {
            // Only the second dose can move: dose 1 was given elsewhere or has already been given here.
            if (newFirst is not null)
            {
                return Refusal.Invalid("firstDose", "The first dose has already been given.");
            }
            if (oldSecond is null)
            {
                return Refusal.Invalid("secondDose", "This booking has no second dose.");
            }
            var given = booking.FirstDoseGivenOn ?? Calendar.LocalDate(oldFirst!.Start);
            var target = newSecond ?? oldSecond.Start;
            if (!Calendar.TryFind(target, out var slot) || target <= now)
            {
                return Refusal.Invalid("secondDose", "No future slot of this centre starts at that time.");
            }
            var days = slot.Date.DayNumber - given.DayNumber;
            if (days < booking.MinIntervalDays || days > booking.MaxIntervalDays)
            {
                return OutsideInterval(booking.MinIntervalDays, booking.MaxIntervalDays);
            }
            if (Remaining(slot) <= 0)
            {
                return SlotFull("second");
            }
            if (!stock.CanTake(slot.Date))
            {
                return OutOfStock();
            }
            var kept = booking.Appointments.Where(a => a.Dose == 1).Append(new Appointment(2, Calendar.StartOf(slot)));
            return new BookingRescheduled(booking.Reference, kept.ToArray(), now);
        }

        var firstStart = newFirst ?? oldFirst.Start;
        if (!Calendar.TryFind(firstStart, out var first) || firstStart <= now)
        {
            return Refusal.Invalid("firstDose", "No future slot of this centre starts at that time.");
        }
        if (newFirst is not null && first.Date > Calendar.LocalDate(now).AddDays(Settings!.BookingHorizonDays))
        {
            return Refusal.Invalid("firstDose", $"First doses can be booked at most {Settings.BookingHorizonDays} days ahead.");
        }
        if (oldSecond is null)
        {
            if (newSecond is not null)
            {
                return Refusal.Invalid("secondDose", "This booking has no second dose.");
            }
            if (Remaining(first) <= 0)
            {
                return SlotFull("first");
            }
            return stock.CanTake(first.Date)
                ? new BookingRescheduled(booking.Reference, [new Appointment(1, Calendar.StartOf(first))], now)
                : OutOfStock();
        }
        var secondWanted = newSecond ?? (newFirst is null ? oldSecond.Start : null);
        var second = ChooseSecondDose(booking.MinIntervalDays, booking.MaxIntervalDays, stock, first, secondWanted);
        if (second.Refusal is { } refusal)
        {
            return refusal;
        }
        return new BookingRescheduled(booking.Reference,
            [new Appointment(1, Calendar.StartOf(first)), new Appointment(2, Calendar.StartOf(second.Slot))], now);
    }

    /// <summary>The second dose to go with <paramref name="first"/>: the one asked for, checked, or the engine's pick.</summary>
    private (SlotRef Slot, Refusal? Refusal) ChooseSecondDose(int minDays, int maxDays, DoseTimeline? stock, SlotRef first, DateTimeOffset? wanted)
    {
        if (wanted is { } start)
        {
            if (!Calendar.TryFind(start, out var second))
            {
                return (default, Refusal.Invalid("secondDose", "No slot of this centre starts at that time."));
            }
            var days = second.Date.DayNumber - first.Date.DayNumber;
            if (days < minDays || days > maxDays)
            {
                return (default, OutsideInterval(minDays, maxDays));
            }
            if (Remaining(first) <= 0 || Remaining(second) <= 0)
            {
                return (default, SlotFull(Remaining(first) <= 0 ? "first" : "second"));
            }
            if (stock is null || !stock.CanTakePair(first.Date, second.Date))
            {
                return (default, OutOfStock());
            }
            return (second, null);
        }
        if (Remaining(first) <= 0)
        {
            return (default, SlotFull("first"));
        }
        if (stock is null || !stock.CanTake(first.Date))
        {
            return (default, OutOfStock());
        }
        foreach (var date in SecondDoseDays(minDays, maxDays, stock, first.Date))
        {
            return (ClosestFreeSlot(date, Calendar.StartOf(first).TimeOfDay)!.Value, null);
        }
        return (default, new Refusal(RefusalReason.NoSecondDose, "No second-dose slot with a dose can go with this first dose."));
    }

    private Refusal? CheckBookable(string vaccineId, string identityKey, out Vaccine vaccine)
    {
        vaccine = null!;
        if (Settings is null)
        {
            return new Refusal(RefusalReason.CentreNotFound, $"Centre '{Id}' does not exist.");
        }
        if (!_catalog.TryGet(vaccineId, out vaccine))
        {
            return Refusal.Invalid("vaccine", $"Unknown vaccine '{vaccineId}'.");
        }
        if (!Settings.Vaccines.Contains(vaccine.Id))
        {
            return Refusal.Invalid("vaccine", $"This centre does not offer '{vaccine.Id}'.");
        }
        if (_activeByIdentity.ContainsKey(identityKey))
        {
            return new Refusal(RefusalReason.AlreadyBooked, "This person already holds an active booking.");
        }
        return null;
    }

    private Refusal? CheckFirstDoseSlot(DateTimeOffset start, DateTimeOffset now, out SlotRef slot)
    {
        if (!Calendar.TryFind(start, out slot))
        {
            return Refusal.Invalid("firstDose", "No slot of this centre starts at that time.");
        }
        if (start <= now)
        {
            return Refusal.Invalid("firstDose", "The slot has already started.");
        }
        if (slot.Date > Calendar.LocalDate(now).AddDays(Settings!.BookingHorizonDays))
        {
            return Refusal.Invalid("firstDose", $"First doses can be booked at most {Settings.BookingHorizonDays} days ahead.");
        }
        return null;
    }

    private static Refusal SlotFull(string which) => new(RefusalReason.SlotFull, $"The {which}-dose slot is full.");

    private static Refusal OutOfStock() => new(RefusalReason.OutOfStock, "Not enough doses for the appointments.");

    private static Refusal OutsideInterval(int minDays, int maxDays) =>
        Refusal.Invalid("secondDose", $"The second dose must be {minDays} to {maxDays} days after the first.");

    /// <summary>Whose booking it is, as the centre knows them.</summary>
    private sealed record Holder(string Reference, string IdentityKey, string BirthDateCheck, string? ProtectedContact, string? Initials);

    private PairBooked Booked(Holder holder, Vaccine vaccine, DateTimeOffset now,
        DateOnly? firstDoseGivenOn, params (int Dose, SlotRef Slot)[] appointments) =>
        new(new BookingRecord(
            holder.Reference,
            holder.IdentityKey,
            holder.BirthDateCheck,
            vaccine.Id,
            appointments.Select(a => new Appointment(a.Dose, Calendar.StartOf(a.Slot))).ToArray(),
            now,
            BookingStatus.Confirmed,
            _bookings.Count + 1,
            vaccine.NeedsSecondDose ? vaccine.MinIntervalDays : 0,
            vaccine.NeedsSecondDose ? vaccine.MaxIntervalDays : 0,
            firstDoseGivenOn,
            holder.ProtectedContact,
            holder.Initials));
}
