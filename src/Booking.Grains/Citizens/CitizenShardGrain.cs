using Booking.Abstractions;
using Booking.Grains.Storage;
using Orleans.Concurrency;

namespace Booking.Grains.Citizens;

/// <summary>
/// A share of the citizen identities. Requests of one identity pass one at a time (<see cref="KeyedTurns"/>),
/// which is what makes "one active booking nationwide" (I4) hold without a global lock. The truth
/// lives in <c>citizen_bookings</c>, written in the same statement as the centre's ledger row: a
/// turn reads it afresh for any identity the shard may have a claim for, and skips the read for
/// one it has never seen (<see cref="KnownKeys"/>), which has none.
/// </summary>
[Reentrant]
public sealed class CitizenShardGrain(LedgerStore store, GrainReferences grains) : Grain, ICitizenShardGrain
{
    private readonly KeyedTurns _turns = new();
    private readonly KnownKeys _seen = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var identityKey in await store.ClaimedIdentitiesAsync(this.GetPrimaryKeyLong(), cancellationToken))
        {
            _seen.AddStored(identityKey);
        }
    }

    public Task<Result<BookingInfo>> Book(string centreId, BookPairCommand command) =>
        _turns.Run(command.Citizen.IdentityKey, async () =>
            await HoldsAnotherBooking(command.Citizen.IdentityKey, except: null)
                ? AlreadyBooked()
                : await Centre(centreId).BookPair(command));

    public Task<Result<BookingInfo>> Cancel(string identityKey, string centreId, string reference, string birthDateCheck) =>
        _turns.Run(identityKey, () => Centre(centreId).Cancel(reference, birthDateCheck));

    /// <summary>Rescheduling a postponed booking makes it active again: not while another one is.</summary>
    public Task<Result<BookingInfo>> Reschedule(
        string identityKey, string centreId, string reference, string birthDateCheck, DateTimeOffset? firstDose, DateTimeOffset? secondDose) =>
        _turns.Run(identityKey, async () =>
            await HoldsAnotherBooking(identityKey, except: reference)
                ? AlreadyBooked()
                : await Centre(centreId).Reschedule(reference, birthDateCheck, firstDose, secondDose));

    public Task<Result<BookingInfo>> AcceptOffer(string identityKey, string centreId, string entryId, string birthDateCheck) =>
        _turns.Run(identityKey, async () =>
            await HoldsAnotherBooking(identityKey, except: null)
                ? AlreadyBooked()
                : await Centre(centreId).AcceptOffer(entryId, birthDateCheck));

    public Task WarmUp() => Task.CompletedTask;

    private ICentreGrain Centre(string centreId) => grains.Centre(centreId);

    private async Task<bool> HoldsAnotherBooking(string identityKey, string? except) =>
        !_seen.FirstSight(identityKey)
        && await store.ActiveBookingAsync(identityKey) is { } active && active.Reference != except;

    private static Result<BookingInfo> AlreadyBooked() =>
        Result<BookingInfo>.Refused(new Problem(ProblemKind.AlreadyBooked, "This person already holds an active booking."));
}
