namespace Booking.Grains.Domain;

/// <summary>
/// What a centre search may ask for (API.md, <c>GET /api/v1/centres</c>): a point, a radius and a
/// number of results. The engine's API and the SQL baseline check a search the same way.
/// </summary>
public static class SearchBounds
{
    /// <summary>Reports each field out of range to <paramref name="fail"/> (field, message); returns the radius and the limit to use.</summary>
    public static (double RadiusKm, int Limit) Check(double? lat, double? lon, double? radiusKm, int? limit, Action<string, string> fail)
    {
        if (lat is null or < -90 or > 90)
        {
            fail("lat", "Required, from -90 to 90.");
        }
        if (lon is null or < -180 or > 180)
        {
            fail("lon", "Required, from -180 to 180.");
        }
        var radius = radiusKm ?? 50;
        if (radius is <= 0 or > 1000)
        {
            fail("radiusKm", "Greater than 0, at most 1000.");
        }
        var count = limit ?? 50;
        if (count is < 1 or > 500)
        {
            fail("limit", "From 1 to 500.");
        }
        return (radius, count);
    }
}
