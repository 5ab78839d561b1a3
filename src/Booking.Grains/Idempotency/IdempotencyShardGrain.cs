using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Citizens;
using Booking.Grains.Storage;
using Orleans.Concurrency;

namespace Booking.Grains.Idempotency;

/// <summary>
/// A share of the Idempotency-Keys. The stored answer is written by the centre in the same
/// transaction as the booking it describes; this grain only makes sure that no two requests with
/// one key are decided at the same time, and each reads the stored answer afresh, unless the key
/// is one the shard has never seen (<see cref="KnownKeys"/>), which has no answer yet.
/// </summary>
[Reentrant]
public sealed class IdempotencyShardGrain(LedgerStore store, GrainReferences grains) : Grain, IIdempotencyShardGrain
{
    private readonly KeyedTurns _turns = new();
    private readonly KnownKeys _seen = new();

    /// <summary>The shard that owns the key of <paramref name="tag"/>.</summary>
    public static long ShardOf(IdempotencyTag tag) => Shards.Of(Shards.IdempotencyKey(tag.Scope, tag.Key));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var (scope, key) in await store.StoredIdempotencyKeysAsync(this.GetPrimaryKeyLong(), cancellationToken))
        {
            _seen.AddStored(Shards.IdempotencyKey(scope, key));
        }
    }

    public Task<IdempotentBooking> Book(string centreId, BookPairCommand command)
    {
        var tag = command.Idempotency ?? throw new ArgumentException("The command carries no Idempotency-Key.", nameof(command));
        var key = Shards.IdempotencyKey(tag.Scope, tag.Key);
        return _turns.Run(key, async () =>
        {
            if (!_seen.FirstSight(key) && await store.FindIdempotencyAsync(tag.Scope, tag.Key) is { } stored)
            {
                return stored.RequestHash == tag.RequestHash
                    ? new IdempotentBooking(null, JsonSerializer.Deserialize<BookingInfo>(stored.Response, LedgerJson.Options), false)
                    : new IdempotentBooking(null, null, true);
            }
            return new IdempotentBooking(await grains.Citizens(command.Citizen.IdentityKey).Book(centreId, command), null, false);
        });
    }

    public Task WarmUp() => Task.CompletedTask;
}
