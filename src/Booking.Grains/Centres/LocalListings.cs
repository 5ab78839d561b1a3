using System.Collections.Concurrent;
using Booking.Abstractions;

namespace Booking.Grains.Centres;

/// <summary>
/// The kept listings of the centres active in this silo, read by the silo's own HTTP handlers
/// without a grain call: a city centre's week is asked for many times between two of its changes,
/// and without the call a week's listing is served about half again as fast. A centre adds its
/// cache when it activates and withdraws it when it deactivates (another silo may activate it
/// next); a kept listing is found only while the centre's version is the one it was written for.
/// A miss (the centre lives on another silo, or keeps nothing for that range) goes to the grain.
/// </summary>
public sealed class LocalListings
{
    private readonly ConcurrentDictionary<string, SlotListingCache> _centres = new(StringComparer.Ordinal);

    public void Add(string centreId, SlotListingCache listings) => _centres[centreId] = listings;

    /// <summary>Withdraws <paramref name="listings"/> only: a later activation's cache stays.</summary>
    public void Withdraw(string centreId, SlotListingCache listings) =>
        _centres.TryRemove(KeyValuePair.Create(centreId, listings));

    public SlotListing? Find(string centreId, string vaccine, DateOnly from, DateOnly to, DateTimeOffset now) =>
        _centres.TryGetValue(centreId, out var listings) ? listings.Find(vaccine, from, to, now) : null;
}
