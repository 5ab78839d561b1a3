using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Booking.Grains.Citizens;

/// <summary>
/// The keys a shard may have a stored row for: those stored when it activated, and every key it
/// has let through since. The set only grows, so a key it has never seen has no row, and its
/// look-up can be skipped: on launch day that is nearly every booking. A key seen before, even
/// one whose booking was refused, is looked up as it always was.
/// </summary>
/// <remarks>
/// It keeps 64-bit hashes, not the keys (20 to 30 bytes a key): a collision only costs a look-up
/// that was not needed. If two activations of one shard briefly coexist, each with its own set,
/// the tables' primary keys are the last guard: the second claim fails its batch instead of
/// standing.
/// </remarks>
public sealed class KnownKeys
{
    private readonly HashSet<ulong> _hashes = [];

    public int Count => _hashes.Count;

    /// <summary>A key that has a stored row, read when the shard activates.</summary>
    public void AddStored(string key) => _hashes.Add(Hash(key));

    /// <summary>True the first time a key comes: nothing can be stored for it yet. The key counts
    /// as seen from then on, whatever becomes of the request.</summary>
    public bool FirstSight(string key) => _hashes.Add(Hash(key));

    private static ulong Hash(string key) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()));
}
