using Booking.Grains.Domain;
using Microsoft.IO;

namespace Booking.Grains.Centres;

/// <summary>
/// Centre snapshots written into pooled buffers: a big centre's runs to megabytes, and a fresh
/// array that size each time (and its copies while it grew) kept the large object heap churning.
/// Shared by every centre of the process; what it keeps free is bounded.
/// </summary>
public static class SnapshotBuffers
{
    private static readonly RecyclableMemoryStreamManager Pool = new(new RecyclableMemoryStreamManager.Options
    {
        MaximumSmallPoolFreeBytes = 16 << 20,
        MaximumLargePoolFreeBytes = 64 << 20,
    });

    /// <summary>The centre's snapshot; disposing it returns its buffers.</summary>
    public static RecyclableMemoryStream Take(Centre centre)
    {
        var stream = Pool.GetStream(nameof(CentreSnapshot));
        try
        {
            CentreSnapshot.Write(centre, stream);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
