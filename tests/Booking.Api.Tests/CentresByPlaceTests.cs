using Booking.Api.ReadModel;
using Booking.Grains.Domain;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Api.Tests;

/// <summary>The search index against a scan of every centre: same centres, same distances, same order.</summary>
public class CentresByPlaceTests
{
    public sealed record Place(double Latitude, double Longitude, string[] Vaccines);

    public sealed record Case(Place[] Centres, double Latitude, double Longitude, double RadiusKm, string? Vaccine, int Limit)
    {
        public override string ToString() =>
            $"search ({Latitude}, {Longitude}) within {RadiusKm} km, vaccine {Vaccine ?? "any"}, limit {Limit}, centres " +
            string.Join(" ", Centres.Select(c => $"({c.Latitude}, {c.Longitude}, {string.Join('+', c.Vaccines)})"));
    }

    /// <summary>Mostly a country's worth of places, some anywhere on the globe: by the poles and the antimeridian too.</summary>
    private static readonly Gen<(double Latitude, double Longitude)> Points = Gen.Frequency(
        (6, Gen.Zip(Gen.Choose(42_000, 51_000), Gen.Choose(-5_000, 9_000)).Select(p => (p.Item1 / 1000.0, p.Item2 / 1000.0))),
        (2, Gen.Zip(Gen.Choose(-90_000, 90_000), Gen.Choose(-180_000, 180_000)).Select(p => (p.Item1 / 1000.0, p.Item2 / 1000.0))),
        (1, Gen.Zip(Gen.Choose(88_000, 90_000), Gen.Choose(-180_000, 180_000)).Select(p => (p.Item1 / 1000.0, p.Item2 / 1000.0))),
        (1, Gen.Zip(Gen.Choose(-10_000, 10_000), Gen.Elements(-180.0, -179.95, 179.9, 180.0)).Select(p => (p.Item1 / 1000.0, p.Item2))));

    private static readonly Gen<string[]> Offers = Gen.Elements<string[]>(["a"], ["b"], ["a", "b"]);

    private static readonly Arbitrary<Case> Cases =
        (from centres in Gen.Zip(Points, Offers).Select(x => new Place(x.Item1.Latitude, x.Item1.Longitude, x.Item2)).ArrayOf()
         from near in Gen.Choose(0, 2)
         from at in near == 0 || centres.Length == 0 ? Points : Gen.Elements(centres).Select(c => (c.Latitude, c.Longitude))
         from radius in Gen.Frequency((3, Gen.Choose(1, 60)), (1, Gen.Choose(60, 1000)))
         from vaccine in Gen.Elements<string?>(null, "a", "b")
         from limit in Gen.Choose(1, 30)
         select new Case(centres, at.Item1, at.Item2, radius, vaccine, limit)).ToArbitrary();

    private static CentreAvailability[] Directory(Place[] places) =>
        places.Select((p, i) => new CentreAvailability(
                new CentreListing($"c{i:000}", $"Centre {i}", "", "", "", p.Latitude, p.Longitude, "Europe/Paris", p.Vaccines),
                new Dictionary<string, IReadOnlyList<DayAvailability>>()))
            .ToArray();

    private static string[] Scan(CentreAvailability[] directory, Case c) =>
        directory
            .Select(x => (x.Centre, Distance: GreatCircle.DistanceKm(c.Latitude, c.Longitude, x.Centre.Latitude, x.Centre.Longitude)))
            .Where(x => x.Distance <= c.RadiusKm && (c.Vaccine is null || x.Centre.Vaccines.Contains(c.Vaccine)))
            .OrderBy(x => x.Distance)
            .Take(c.Limit)
            .Select(x => $"{x.Centre.Id} {x.Distance:R}")
            .ToArray();

    private static string[] Search(CentreAvailability[] directory, Case c) =>
        new CentresByPlace(directory).Find(c.Latitude, c.Longitude, c.RadiusKm, c.Vaccine, c.Limit)
            .Select(x => $"{x.Centre.Centre.Id} {x.DistanceKm:R}")
            .ToArray();

    [Property(MaxTest = 500)]
    public Property A_search_finds_what_a_scan_of_every_centre_finds() =>
        Prop.ForAll(Cases, c =>
        {
            var directory = Directory(c.Centres);
            Assert.Equal(Scan(directory, c), Search(directory, c));
        });

    [Fact]
    public void Centres_across_the_antimeridian_beyond_a_pole_and_far_round_a_high_latitude_are_found()
    {
        var directory = Directory(
        [
            new Place(-17.0, 179.95, ["a"]),
            new Place(-17.0, -179.95, ["a"]),
            new Place(-17.0, 179.0, ["a"]),
            new Place(89.9, 0.0, ["a"]),
            new Place(89.9, 180.0, ["a"]),
            new Place(85.6, 63.0, ["a"]),
        ]);
        var places = new CentresByPlace(directory);

        var fiji = places.Find(-17.0, 180.0, 10, null, 10);
        var pole = places.Find(89.95, 90.0, 25, null, 10);
        // 990 km away, 63° of longitude east: nearer the pole, the circle spans more longitude
        // than its radius over the cosine of the latitude searched (52° here).
        var arctic = places.Find(80.0, 0.0, 1000, null, 10);

        Assert.Equal(["c000", "c001"], fiji.Select(x => x.Centre.Centre.Id).OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(["c003", "c004"], pole.Select(x => x.Centre.Centre.Id).OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(["c005"], arctic.Select(x => x.Centre.Centre.Id));
    }

    [Fact]
    public void Centres_at_the_same_distance_keep_the_directory_order_and_the_limit_takes_the_nearest()
    {
        var directory = Directory(
        [
            new Place(48.90, 2.35, ["a"]),
            new Place(48.80, 2.35, ["a"]),
            new Place(48.85, 2.35, ["b"]),
            new Place(48.80, 2.35, ["a"]),
        ]);

        var found = new CentresByPlace(directory).Find(48.85, 2.35, 20, "a", 2);

        Assert.Equal(["c000", "c001"], found.Select(x => x.Centre.Centre.Id));
    }
}
