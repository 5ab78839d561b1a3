using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Booking.Api.Tests;

public sealed record SearchResultDto(
    string Id, string Name, double DistanceKm, string[] Vaccines, DateTimeOffset? NextFirstDoseSlot, int FreeSlots7Days);

/// <summary>Search is served from each silo's read model, which follows the centres within the README's bound.</summary>
public sealed class SearchTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    /// <summary>The staleness bound the README states for searches.</summary>
    private static readonly TimeSpan StalenessBound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_booking_shows_in_search_within_the_staleness_bound()
    {
        // One line, 09:00-10:00 in 30-minute slots: two slots a day, every day of the week.
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, SlotMinutes: 30, Open: "09:00", Close: "10:00", Vaccines: ["pfizer"]),
            DeliverySpec.Today(100));
        using var portal = api.Portal();
        // Two slots on each of the six whole days ahead at least (today's may be over): the delivery is published.
        var before = await Eventually.ValueAsync(() => Find(portal, centreId), r => r is { FreeSlots7Days: >= 12 }, StalenessBound,
            "the new centre and its doses to be searchable");
        Assert.Equal(0.0, before!.DistanceKm);
        var nextDay = TestData.Today.AddDays(1);
        var expectedFree = before.FreeSlots7Days;

        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(nextDay, 9)));
        var clock = Stopwatch.StartNew();
        var after = await Eventually.ValueAsync(() => Find(portal, centreId), r => r!.FreeSlots7Days == expectedFree - 1, StalenessBound,
            "search to show one slot fewer");
        Assert.True(clock.Elapsed <= StalenessBound);
        Assert.Equal(expectedFree - 1, after!.FreeSlots7Days);
    }

    [Fact]
    public async Task Search_answers_304_to_a_matching_If_None_Match_and_422_without_coordinates()
    {
        using var portal = api.Portal();
        using var first = await portal.GetAsync("/api/v1/centres?lat=10&lon=10&radiusKm=5");
        await Expect.StatusAsync(first, HttpStatusCode.OK);
        Assert.NotNull(first.Headers.ETag);
        Assert.Equal("public, max-age=2", first.Headers.CacheControl?.ToString());

        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/centres?lat=10&lon=10&radiusKm=5");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag);
        using var notModified = await portal.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var invalid = await portal.GetAsync("/api/v1/centres?radiusKm=5");
        await Expect.ValidationAsync(invalid, "lat", "lon");
    }

    private static async Task<SearchResultDto?> Find(HttpClient portal, string centreId)
    {
        // The test centres all stand at the same point; ask for enough of them to include this one.
        var results = await portal.GetFromJsonAsync<SearchResultDto[]>("/api/v1/centres?lat=48.8566&lon=2.3522&radiusKm=1&vaccine=pfizer&limit=500",
            JsonSerializerOptions.Web);
        return results!.SingleOrDefault(r => r.Id == centreId);
    }
}
