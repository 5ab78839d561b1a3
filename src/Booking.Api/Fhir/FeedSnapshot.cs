using System.Globalization;
using System.IO.Compression;

namespace Booking.Api.Fhir;

/// <summary>One NDJSON file, kept as bytes so that a request only copies them.</summary>
public sealed class FeedFile
{
    private readonly Lazy<byte[]> _gzip;

    public FeedFile(byte[] content, string etag, int count)
    {
        Content = content;
        Count = count;
        ETag = $"\"{etag}\"";
        GzipETag = $"\"{etag}-gz\"";
        _gzip = new Lazy<byte[]>(() => Compress(content));
    }

    public byte[] Content { get; }

    /// <summary>Compressed on first use, once per build: most readers may never ask for it.</summary>
    public byte[] Gzip => _gzip.Value;

    /// <summary>Strong tags, one per content coding, as the two byte sequences differ.</summary>
    public string ETag { get; }

    public string GzipETag { get; }

    public int Count { get; }

    private static byte[] Compress(byte[] content)
    {
        using var buffer = new MemoryStream(content.Length / 8 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }
}

/// <summary>
/// The three files built together from one read of the model, so that references between them
/// resolve within one build.
/// </summary>
public sealed record FeedSnapshot(
    long Version,
    DateTimeOffset BuiltAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset StaleAt,
    FeedFile Locations,
    FeedFile Schedules,
    FeedFile Slots)
{
    /// <summary>Version plus build time: a rebuild for a new day changes the tag even when the
    /// model's version has not.</summary>
    public static string Tag(long version, DateTimeOffset builtAt, string file) =>
        string.Create(CultureInfo.InvariantCulture, $"{file}-{version:x}-{builtAt.ToUnixTimeMilliseconds():x}");
}
