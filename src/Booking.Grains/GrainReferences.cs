using System.Collections.Concurrent;
using Booking.Abstractions;

namespace Booking.Grains;

/// <summary>
/// The references of the grains on the booking path, made once per host and kept. A reference is
/// immutable, but <see cref="IGrainFactory.GetGrain{TGrainInterface}(string, string)"/> works out the
/// interface's grain type from its attributes on every call, which the booking profile showed as
/// reflection on each of a booking's three hops.
/// </summary>
public sealed class GrainReferences(IGrainFactory grains)
{
    // Centre ids come from requests: past this many, references are made per call instead of kept.
    private const int MaxKeptCentres = 100_000;

    private readonly ICitizenShardGrain?[] _citizens = new ICitizenShardGrain?[Shards.Count];
    private readonly IIdempotencyShardGrain?[] _idempotency = new IIdempotencyShardGrain?[Shards.Count];
    private readonly ConcurrentDictionary<string, ICentreGrain> _centres = new(StringComparer.Ordinal);

    /// <summary>The shard grain that lets the identity's requests through one at a time.</summary>
    public ICitizenShardGrain Citizens(string identityKey) => CitizenShard(Shards.Of(identityKey));

    public ICitizenShardGrain CitizenShard(long shard) => _citizens[shard] ??= grains.GetGrain<ICitizenShardGrain>(shard);

    /// <summary>The shard grain that owns an Idempotency-Key (see <see cref="Shards.Of"/>).</summary>
    public IIdempotencyShardGrain IdempotencyShard(long shard) =>
        _idempotency[shard] ??= grains.GetGrain<IIdempotencyShardGrain>(shard);

    public ICentreGrain Centre(string centreId) =>
        _centres.TryGetValue(centreId, out var centre) ? centre
        : _centres.Count < MaxKeptCentres ? _centres.GetOrAdd(centreId, id => grains.GetGrain<ICentreGrain>(id))
        : grains.GetGrain<ICentreGrain>(centreId);
}
