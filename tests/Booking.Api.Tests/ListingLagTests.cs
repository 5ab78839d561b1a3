using Booking.Grains.Centres;
using Microsoft.Extensions.DependencyInjection;

namespace Booking.Api.Tests;

/// <summary>A host whose listings may be three seconds behind their centres.</summary>
public sealed class LaggingListingsFixture() : ApiFixture(new Dictionary<string, string?>
{
    ["Booking:Centres:ListingLag"] = "00:00:03",
});

public sealed class ListingLagTests(LaggingListingsFixture api) : IClassFixture<LaggingListingsFixture>
{
    [Fact]
    public async Task A_week_read_again_within_the_lag_is_served_as_written_and_catches_up_with_the_centre_after_it()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2, IdPrefix: "lag"), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var slot = new WatchedSlot(centreId);
        var kept = api.Services.GetRequiredService<LocalListings>();
        var time = api.Services.GetRequiredService<TimeProvider>();

        Assert.Equal(2, await portal.RemainingAsync(slot));
        Assert.Equal(2, await portal.RemainingAsync(slot));
        await portal.BookOkAsync(BookingBody.For(centreId, slot.Start, citizen: CitizenBody.New("Erin", "1979-11-02")));

        // Read again within three seconds of being written: the listing from before the booking.
        Assert.NotNull(kept.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));
        Assert.Equal(2, await portal.RemainingAsync(slot));
        // Then the booking shows, and stays shown.
        await Eventually.TrueAsync(async () => await portal.RemainingAsync(slot) == 1, TimeSpan.FromSeconds(10), "the listing did not catch up with the booking");
        Assert.Equal(1, await portal.RemainingAsync(slot));
    }
}
