using System.Globalization;

namespace Booking.LoadTests.Tests;

/// <summary>The centre searches the tool sends: well-formed in any culture, from points around the centres.</summary>
public class SearchFlowTests
{
    [Fact]
    public void The_search_query_writes_coordinates_with_a_decimal_point_whatever_the_culture()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("fr-FR");
            Assert.Equal("/api/v1/centres?lat=48.8566&lon=-1.5536&radiusKm=25&vaccine=pfizer", Api.SearchPath(48.85661, -1.55364, 25, "pfizer"));
            Assert.Equal("/api/v1/centres?lat=-21.1151&lon=55.5364&radiusKm=10", Api.SearchPath(-21.1151, 55.5364, 10, null));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Search_points_fall_evenly_over_the_disc_around_the_centre()
    {
        var random = new Random(20210118);
        var distances = Enumerable.Range(0, 4000)
            .Select(_ => LoadRunner.NearPoint(48.84, 2.29, 15, random))
            .Select(p => Haversine(48.84, 2.29, p.Latitude, p.Longitude))
            .ToArray();

        Assert.All(distances, d => Assert.InRange(d, 0, 15.01));
        // Even over the area, three quarters of the points lie beyond half the radius.
        var outer = distances.Count(d => d > 7.5) / (double)distances.Length;
        Assert.InRange(outer, 0.72, 0.78);
    }

    [Fact]
    public void Search_points_near_the_antimeridian_stay_valid_longitudes()
    {
        var random = new Random(7);
        for (var i = 0; i < 1000; i++)
        {
            var (latitude, longitude) = LoadRunner.NearPoint(-17.7, 179.99, 15, random);
            Assert.InRange(longitude, -180, 180);
            Assert.InRange(Haversine(-17.7, 179.99, latitude, longitude), 0, 15.01);
        }
    }

    [Fact]
    public void Search_points_near_a_pole_stay_valid_longitudes()
    {
        var random = new Random(11);
        for (var i = 0; i < 1000; i++)
        {
            var (latitude, longitude) = LoadRunner.NearPoint(89.99, 10, 15, random);
            Assert.InRange(longitude, -180, 180);
            Assert.InRange(latitude, -90, 90);
        }
    }

    private static double Haversine(double lat1, double lon1, double lat2, double lon2)
    {
        static double R(double d) => d * Math.PI / 180;
        var a = Math.Pow(Math.Sin(R(lat2 - lat1) / 2), 2) + Math.Cos(R(lat1)) * Math.Cos(R(lat2)) * Math.Pow(Math.Sin(R(lon2 - lon1) / 2), 2);
        return 2 * 6371.0 * Math.Asin(Math.Sqrt(a));
    }
}
