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
        if (_active is not null)
        {
            return Result<BookingInfo>.Refused(new Problem(ProblemKind.AlreadyBooked, "This person already holds an active booking."));
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
