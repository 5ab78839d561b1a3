using Booking.Abstractions;
using Booking.Grains.Centres;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Booking.Api.Tests;

/// <summary>Two API hosts on one database: one cluster, whichever host a portal calls.</summary>
public sealed class TwoSiloTests
{
    [Fact]
    public async Task A_centre_that_moved_to_the_other_silo_is_not_served_from_the_listings_it_kept_on_the_first()
    {
        await using var first = new ApiFixture();
        await first.InitializeAsync();
        var centreId = await first.CreateCentreAsync(new CentreSpec(Lines: 2, IdPrefix: "moved"), DeliverySpec.Today(100));
        var slot = new WatchedSlot(centreId);
        using var viaFirst = first.Portal();
        var keptOnFirst = first.Services.GetRequiredService<LocalListings>();
        var time = first.Services.GetRequiredService<TimeProvider>();
        Assert.Equal(2, await viaFirst.RemainingAsync(slot));
        Assert.Equal(2, await viaFirst.RemainingAsync(slot));
        Assert.NotNull(keptOnFirst.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));

        await using var second = first.SecondSilo();
        await second.InitializeAsync();
        using var viaSecond = second.Portal();
        var keptOnSecond = second.Services.GetRequiredService<LocalListings>();
        // Move the centre to the second silo, as placement may after a restart or a rebalance.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, second.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress);
        await first.Services.GetRequiredService<IGrainFactory>().GetGrain<ICentreGrain>(centreId)
            .AsReference<IGrainManagementExtension>().MigrateOnIdle();
        RequestContext.Clear();
        await Eventually.TrueAsync(async () =>
        {
            await viaSecond.RemainingAsync(slot);
            await viaSecond.RemainingAsync(slot);
            return keptOnSecond.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()) is not null;
        }, TimeSpan.FromSeconds(30), "the centre did not move to the second silo");
        Assert.Null(keptOnFirst.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));

        await viaSecond.BookOkAsync(BookingBody.For(centreId, slot.Start, citizen: CitizenBody.New("Dana", "1985-03-04")));

        Assert.Equal(1, await viaFirst.RemainingAsync(slot));
        Assert.Equal(1, await viaFirst.RemainingAsync(slot));
        Assert.Equal(1, await viaSecond.RemainingAsync(slot));
    }
}
