using System.Net;
using System.Text.Json;
using Booking.Grains.Centres;
using Microsoft.Extensions.DependencyInjection;

namespace Booking.Api.Tests;

/// <summary>Doses bound the bookings (I2), and a cancellation gives back both seats and both doses at once.</summary>
public sealed class StockAndCancelTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Doses_for_seven_pairs_confirm_exactly_seven_of_sixty_concurrent_bookings()
    {
        const int pairs = 7;
        const int citizens = 60;
        // 14 doses delivered today; every citizen asks for a different slot, so seats never run out
        // (2 lines, and each second dose lands alone 21 days later): only the doses can refuse.
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2, IdPrefix: "stock"), DeliverySpec.Today(2 * pairs));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(6);
        var slots = await portal.SlotsAsync(centreId, day, day);
        Assert.Equal(60, slots.Length);

        var results = await Task.Run(() => Task.WhenAll(slots.Take(citizens).Select(async slot =>
        {
            using var response = await portal.BookAsync(BookingBody.For(centreId, slot.Start));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })));

        var created = results.Where(r => r.StatusCode == HttpStatusCode.Created).ToArray();
        Assert.Equal(pairs, created.Length);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Equal("/problems/out-of-stock", JsonSerializer.Deserialize<ProblemDto>(r.Body, JsonSerializerOptions.Web)!.Type);
        });
        Assert.Equal(citizens - pairs, results.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(pairs, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Equal(pairs, (await api.Db.BookingRefsAsync(centreId)).Count);
        // I6: with every dose promised, no first-dose slot is offered any more.
        Assert.Empty(await portal.SlotsAsync(centreId, TestData.Today, TestData.Today.AddDays(27)));
    }

    [Fact]
    public async Task A_listing_served_without_the_centre_grain_shows_each_booking_and_cancellation_at_once()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2, IdPrefix: "kept"), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var slot = new WatchedSlot(centreId);
        var kept = api.Services.GetRequiredService<LocalListings>();
        var time = api.Services.GetRequiredService<TimeProvider>();
        var carol = CitizenBody.New("Carol", "1990-05-06");

        // The second read in one state keeps the listing; from then on it is served without a grain call.
        Assert.Null(kept.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));
        Assert.Equal(2, await portal.RemainingAsync(slot));
        Assert.Equal(2, await portal.RemainingAsync(slot));
        Assert.NotNull(kept.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));
        Assert.Equal(2, await portal.RemainingAsync(slot));

        var booking = await portal.BookOkAsync(BookingBody.For(centreId, slot.Start, citizen: carol));
        Assert.Null(kept.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));
        Assert.Equal(1, await portal.RemainingAsync(slot));
        Assert.Equal(1, await portal.RemainingAsync(slot));
        Assert.NotNull(kept.Find(centreId, "pfizer", slot.Day, slot.Day, time.GetUtcNow()));
        Assert.Equal(1, await portal.RemainingAsync(slot));

        using (var cancelled = await portal.CancelAsync(booking.Reference, carol.BirthDate))
        {
            await Expect.StatusAsync(cancelled, HttpStatusCode.NoContent);
        }
        Assert.Equal(2, await portal.RemainingAsync(slot));
    }

    [Fact]
    public async Task Cancel_frees_both_appointments_at_once()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, IdPrefix: "cancel"), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(8);
        var slot = TestData.At(day, 11);
        var alice = CitizenBody.New("Alice", "1970-01-31");
        var bob = CitizenBody.New("Bob", "1982-07-04");

        var first = await portal.BookOkAsync(BookingBody.For(centreId, slot, citizen: alice));
        using (var full = await portal.BookAsync(BookingBody.For(centreId, slot, citizen: bob)))
        {
            await Expect.ProblemAsync(full, HttpStatusCode.Conflict, "slot-full");
        }
        // The second-dose seat is held too: Bob cannot take it with another first dose.
        using (var secondFull = await portal.BookAsync(BookingBody.For(centreId, TestData.At(day, 12), first.Second, bob)))
        {
            await Expect.ProblemAsync(secondFull, HttpStatusCode.Conflict, "slot-full");
        }

        using (var cancel = await portal.CancelAsync(first.Reference, alice.BirthDate))
        {
            await Expect.StatusAsync(cancel, HttpStatusCode.NoContent);
        }
        using (var get = await portal.GetBookingAsync(first.Reference, alice.BirthDate))
        {
            var cancelled = await Expect.BookingAsync(get, HttpStatusCode.OK);
            Assert.Equal("cancelled", cancelled.Status);
            Assert.Equal(first.Appointments, cancelled.Appointments);
        }
        using (var twice = await portal.CancelAsync(first.Reference, alice.BirthDate))
        {
            await Expect.ProblemAsync(twice, HttpStatusCode.Conflict, "not-active");
        }

        // Both seats are free again at once: Bob gets the same first dose and the same second dose.
        var second = await portal.BookOkAsync(BookingBody.For(centreId, slot, citizen: bob));
        Assert.Equal(first.Appointments, second.Appointments);
        // And Alice holds no booking any more (I4 released): she may book again.
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 15), citizen: alice));

        var ledger = await api.Db.LedgerAsync(centreId);
        Assert.Equal(["centre-configured", "delivery-recorded", "pair-booked", "booking-cancelled", "pair-booked", "pair-booked"],
            ledger.Select(r => r.Kind));
        var active = await api.Db.CitizenBookingsAtAsync(centreId);
        Assert.Equal(2, active.Count);
        Assert.DoesNotContain(active, a => a.Reference == first.Reference);
        Assert.Contains(active, a => a.Reference == second.Reference);
    }

    [Fact]
    public async Task Cancel_gives_both_doses_back()
    {
        // Doses for exactly one pair.
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 4, IdPrefix: "cancel-stock"), DeliverySpec.Today(2));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(9);
        var alice = CitizenBody.New("Alice", "1966-02-02");
        var bob = CitizenBody.New("Bob", "1977-03-03");

        var first = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 9), citizen: alice));
        using (var empty = await portal.BookAsync(BookingBody.For(centreId, TestData.At(day, 10), citizen: bob)))
        {
            await Expect.ProblemAsync(empty, HttpStatusCode.Conflict, "out-of-stock");
        }
        Assert.Empty(await portal.SlotsAsync(centreId, day, day));

        using (var cancel = await portal.CancelAsync(first.Reference, alice.BirthDate))
        {
            await Expect.StatusAsync(cancel, HttpStatusCode.NoContent);
        }
        Assert.NotEmpty(await portal.SlotsAsync(centreId, day, day));
        var second = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 10), citizen: bob));
        Assert.Equal("confirmed", second.Status);
        Assert.Equal(2, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "booking-cancelled"));
        Assert.Equal(second.Reference, Assert.Single(await api.Db.CitizenBookingsAtAsync(centreId)).Reference);
    }
}
