using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

public class VaccineCatalogTests
{
    [Fact]
    public void The_default_catalogue_follows_the_brief()
    {
        var catalog = VaccineCatalog.Default;

        Assert.Equal(["astrazeneca", "janssen", "moderna", "pfizer"], catalog.All.Select(v => v.Id));
        Assert.Equal(("208", 6, 2, 21, 49), Rules(catalog["pfizer"]));
        Assert.Equal(("207", 10, 2, 28, 49), Rules(catalog["moderna"]));
        Assert.Equal(("210", 10, 2, 63, 84), Rules(catalog["astrazeneca"]));
        Assert.Equal(("212", 5, 1, 0, 0), Rules(catalog["janssen"]));
        Assert.False(catalog["janssen"].NeedsSecondDose);
        Assert.True(catalog["pfizer"].NeedsSecondDose);
        Assert.False(catalog.TryGet("sputnik", out _));
        Assert.False(catalog.TryGet("Pfizer", out _));
    }

    [Fact]
    public void Interval_bounds_are_inclusive()
    {
        var pfizer = VaccineCatalog.Default["pfizer"];
        var first = T.Day("2027-03-02");

        Assert.False(pfizer.IntervalAllows(first, first.AddDays(20)));
        Assert.True(pfizer.IntervalAllows(first, first.AddDays(21)));
        Assert.True(pfizer.IntervalAllows(first, first.AddDays(49)));
        Assert.False(pfizer.IntervalAllows(first, first.AddDays(50)));
        Assert.False(pfizer.IntervalAllows(first, first.AddDays(-21)));
    }

    private static (string, int, int, int, int) Rules(Vaccine v) =>
        (v.Cvx, v.DosesPerVial, v.Injections, v.MinIntervalDays, v.MaxIntervalDays);
}
