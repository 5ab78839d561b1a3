using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace Booking.Baseline;

/// <summary>One slots listing: a centre, a vaccine and the dates asked for.</summary>
public sealed record ListingKey(string CentreId, string Vaccine, DateOnly From, DateOnly To);

/// <summary>
/// Slots listings as JSON, kept in memory for at most <see cref="MaxAge"/> after the database read began,
/// so a listing is never more than one second stale. That is safe because a listing only advertises
/// seats: the booking transaction checks the seat and the stock again under its locks. Concurrent
/// requests for the same listing share one read. Bounded in bytes; entries beyond the limit are not kept.
/// </summary>
public sealed class ListingCache : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions
    {
        SizeLimit = 64L << 20,
        ExpirationScanFrequency = TimeSpan.FromSeconds(5),
    });

    private readonly ConcurrentDictionary<ListingKey, Lazy<Task<byte[]>>> _reading = new();

    public async Task<byte[]> GetAsync(ListingKey key, Func<Task<byte[]>> read)
    {
        if (_cache.TryGetValue(key, out byte[]? cached))
        {
            return cached!;
        }
        var shared = _reading.GetOrAdd(key, k => new Lazy<Task<byte[]>>(() => ReadAndKeep(k, read)));
        try
        {
            return await shared.Value;
        }
        finally
        {
            // A failed read is not kept: the next request reads again.
            _reading.TryRemove(KeyValuePair.Create(key, shared));
        }
    }

    private async Task<byte[]> ReadAndKeep(ListingKey key, Func<Task<byte[]>> read)
    {
        var expires = DateTimeOffset.UtcNow + MaxAge;
        var body = await read();
        _cache.Set(key, body, new MemoryCacheEntryOptions { Size = body.Length, AbsoluteExpiration = expires });
        return body;
    }

    public void Dispose() => _cache.Dispose();
}
