using Booking.Abstractions;
using Booking.Grains.Storage;

namespace Booking.Grains.Citizens;

/// <summary>
/// One identity (a keyed hash). Not reentrant: a person's bookings and cancellations pass one at a
/// time, which is what makes "one active booking nationwide" (I4) hold without a global lock. The
/// truth lives in <c>citizen_bookings</c>, written in the same statement as the centre's ledger row,
/// so a crash between the centre's answer and this grain's memory loses nothing: the next
/// activation reads the row again.
/// </summary>
[CollectionAgeLimit(Minutes = 2)]
public sealed class CitizenGrain(LedgerStore store) : Grain, ICitizenGrain
{
    private (string Reference, string CentreId)? _active;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _active = await store.ActiveBookingAsync(this.GetPrimaryKeyString());

    public async Task<Result<BookingInfo>> Book(string centreId, BookPairCommand command)
    {
        if (await HoldsAnotherBooking(null))
        {
            return AlreadyBooked();
        }
        var result = await Forwarded(() => GrainFactory.GetGrain<ICentreGrain>(centreId).BookPair(command));
        if (result.Value is { } booking)
        {
            _active = (booking.Reference, centreId);
        }
        return result;
    }

    public async Task<Result<BookingInfo>> Cancel(string centreId, string reference, string birthDateCheck)
    {
        var result = await Forwarded(() => GrainFactory.GetGrain<ICentreGrain>(centreId).Cancel(reference, birthDateCheck));
        if (result.Succeeded && _active?.Reference == reference)
        {
            _active = null;
        }
        return result;
    }

    public async Task<Result<BookingInfo>> Reschedule(
        string centreId, string reference, string birthDateCheck, DateTimeOffset? firstDose, DateTimeOffset? secondDose)
    {
        // Rescheduling a postponed booking makes it active again: not while another one is.
        if (await HoldsAnotherBooking(reference))
        {
            return AlreadyBooked();
        }
        var result = await Forwarded(() => GrainFactory.GetGrain<ICentreGrain>(centreId).Reschedule(reference, birthDateCheck, firstDose, secondDose));
        if (result.Succeeded)
        {
            _active = (reference, centreId);
        }
        return result;
    }

    public async Task<Result<BookingInfo>> AcceptOffer(string centreId, string entryId, string birthDateCheck)
    {
        if (await HoldsAnotherBooking(null))
        {
            return AlreadyBooked();
        }
        var result = await Forwarded(() => GrainFactory.GetGrain<ICentreGrain>(centreId).AcceptOffer(entryId, birthDateCheck));
        if (result.Value is { } booking)
        {
            _active = (booking.Reference, centreId);
        }
        return result;
    }

    /// <summary>
    /// Whether an active booking other than <paramref name="except"/> exists. Memory can only be
    /// stale in one direction (a centre postponed the booking since), so a "yes" is checked against
    /// the durable row before it refuses anyone.
    /// </summary>
    private async Task<bool> HoldsAnotherBooking(string? except)
    {
        if (_active is null || _active.Value.Reference == except)
        {
            return false;
        }
        _active = await store.ActiveBookingAsync(this.GetPrimaryKeyString());
        return _active is not null && _active.Value.Reference != except;
    }

    private static Result<BookingInfo> AlreadyBooked() =>
        Result<BookingInfo>.Refused(new Problem(ProblemKind.AlreadyBooked, "This person already holds an active booking."));

    /// <summary>If the centre's answer is lost, this grain cannot know what happened: it forgets
    /// its memory and reads the durable row again on the next call.</summary>
    private async Task<Result<BookingInfo>> Forwarded(Func<Task<Result<BookingInfo>>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception)
        {
            DeactivateOnIdle();
            throw;
        }
    }
}
