namespace Booking.Grains.Domain;

/// <summary>Distances between centres and the places people search from, on a sphere of the Earth's mean radius.</summary>
public static class GreatCircle
{
    public const double EarthRadiusKm = 6371.0;

    /// <summary>Great-circle distance (haversine).</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
    {
        var sinHalfLat = Math.Sin(Radians(lat2 - lat1) / 2);
        var sinHalfLon = Math.Sin(Radians(lon2 - lon1) / 2);
        var a = sinHalfLat * sinHalfLat + Math.Cos(Radians(lat1)) * Math.Cos(Radians(lat2)) * sinHalfLon * sinHalfLon;
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    public static double Radians(double degrees) => degrees * Math.PI / 180;
}
