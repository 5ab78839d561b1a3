using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Storage;

namespace Booking.Grains.Idempotency;

/// <summary>
/// Key = scope and Idempotency-Key. The stored answer is written by the centre in the same
/// transaction as the booking it describes; this grain only makes sure that no two requests with
/// one key are decided at the same time, and remembers the answer while it is active.
/// </summary>
[CollectionAgeLimit(Minutes = 2)]
public sealed class IdempotencyGrain(LedgerStore store) : Grain, IIdempotencyGrain
{
    private (string RequestHash, string Response)? _answer;

    public static string KeyOf(string scope, string key) => scope + "\n" + key;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (scope, key) = Split(this.GetPrimaryKeyString());
        if (await store.FindIdempotencyAsync(scope, key) is { } stored)
        {
            _answer = (stored.RequestHash, stored.Response);
        }
    }

    public async Task<IdempotentBooking> Book(string requestHash, string centreId, BookPairCommand command)
    {
        if (_answer is { } answer)
        {
            return answer.RequestHash == requestHash
                ? new IdempotentBooking(null, JsonSerializer.Deserialize<BookingInfo>(answer.Response, LedgerJson.Options), false)
                : new IdempotentBooking(null, null, true);
        }
        Result<BookingInfo> result;
        try
        {
            result = await GrainFactory.GetGrain<ICitizenGrain>(command.Citizen.IdentityKey).Book(centreId, command);
        }
        catch (Exception)
        {
            // The answer was lost but the booking may have committed: read the stored row again next time.
            DeactivateOnIdle();
            throw;
        }
        if (result.Value is { } booked)
        {
            _answer = (requestHash, JsonSerializer.Serialize(booked, LedgerJson.Options));
        }
        return new IdempotentBooking(result, null, false);
    }

    private static (string Scope, string Key) Split(string grainKey)
    {
        var cut = grainKey.IndexOf('\n', StringComparison.Ordinal);
        return (grainKey[..cut], grainKey[(cut + 1)..]);
    }
}
