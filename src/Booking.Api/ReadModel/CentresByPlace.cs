using Booking.Grains.Domain;

namespace Booking.Api.ReadModel;

/// <summary>A centre found by a search, and how far it is from the point searched.</summary>
public readonly record struct NearbyCentre(CentreAvailability Centre, double DistanceKm);

/// <summary>
/// The directory's centres sorted by latitude, built once per read-model snapshot, for searches
/// by distance. Nearly every centre of a national directory is far from any one citizen: a search
/// reads only the latitude band that can hold its circle (a binary search finds where it starts),
/// rules out the rest of the band by longitude, and computes the great-circle distance only for
/// the centres left.
/// </summary>
public sealed class CentresByPlace
{
    /// <summary>Degrees of slack on the box, a tenth of a metre: rounding must never drop a centre on the circle.</summary>
    private const double SlackDegrees = 1e-6;

    private readonly CentreAvailability[] _centres;
    private readonly int[] _directoryOrder;

    public CentresByPlace(IReadOnlyList<CentreAvailability> centres)
    {
        var sorted = centres.Select((centre, order) => (Centre: centre, Order: order))
            .OrderBy(x => x.Centre.Centre.Latitude).ThenBy(x => x.Order)
            .ToArray();
        _centres = sorted.Select(x => x.Centre).ToArray();
        _directoryOrder = sorted.Select(x => x.Order).ToArray();
    }

    public static CentresByPlace Empty { get; } = new([]);

    /// <summary>At most <paramref name="limit"/> centres within <paramref name="radiusKm"/>, offering
    /// <paramref name="vaccine"/> when one is given, nearest first; at equal distance, in the
    /// directory's order.</summary>
    public List<NearbyCentre> Find(double latitude, double longitude, double radiusKm, string? vaccine, int limit)
    {
        var box = Box.Around(latitude, longitude, radiusKm);
        var found = new List<(NearbyCentre Centre, int Order)>();
        for (var i = FirstAtOrAbove(box.MinLatitude); i < _centres.Length && _centres[i].Centre.Latitude <= box.MaxLatitude; i++)
        {
            var listing = _centres[i].Centre;
            if (!box.HoldsLongitude(listing.Longitude) || (vaccine is not null && !listing.Vaccines.Contains(vaccine)))
            {
                continue;
            }
            var distance = GreatCircle.DistanceKm(latitude, longitude, listing.Latitude, listing.Longitude);
            if (distance <= radiusKm)
            {
                found.Add((new NearbyCentre(_centres[i], distance), _directoryOrder[i]));
            }
        }
        found.Sort(static (a, b) => a.Centre.DistanceKm != b.Centre.DistanceKm
            ? a.Centre.DistanceKm.CompareTo(b.Centre.DistanceKm)
            : a.Order.CompareTo(b.Order));
        var nearest = new List<NearbyCentre>(Math.Min(limit, found.Count));
        for (var i = 0; i < found.Count && i < limit; i++)
        {
            nearest.Add(found[i].Centre);
        }
        return nearest;
    }

    private int FirstAtOrAbove(double latitude)
    {
        int low = 0, high = _centres.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_centres[middle].Centre.Latitude < latitude)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    private static double Degrees(double radians) => radians * 180 / Math.PI;

    /// <summary>
    /// The smallest latitude band and longitude span that hold every point within the distance:
    /// the band is the angular radius either side; the span is widest at the latitude where the
    /// circle touches its tangent meridians, asin(sin r / cos φ); a circle that reaches a pole
    /// spans every longitude.
    /// </summary>
    private readonly record struct Box(double MinLatitude, double MaxLatitude, double Longitude, double HalfSpan)
    {
        public static Box Around(double latitude, double longitude, double radiusKm)
        {
            var angular = radiusKm / GreatCircle.EarthRadiusKm;
            var band = Degrees(angular) + SlackDegrees;
            var reachesPole = latitude + band >= 90 || latitude - band <= -90;
            var halfSpan = reachesPole ? 180 : Degrees(Math.Asin(Math.Sin(angular) / Math.Cos(GreatCircle.Radians(latitude)))) + SlackDegrees;
            return new Box(latitude - band, latitude + band, longitude, halfSpan);
        }

        /// <summary>The gap the short way round, so that a search near the antimeridian finds both sides.</summary>
        public bool HoldsLongitude(double longitude)
        {
            var gap = Math.Abs(longitude - Longitude) % 360;
            return Math.Min(gap, 360 - gap) <= HalfSpan;
        }
    }
}
