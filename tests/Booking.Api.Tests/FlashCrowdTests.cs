using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Booking.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Booking.Api.Tests;

/// <summary>Many citizens at once on one centre (I1, I2): exactly the capacity is confirmed, the
/// rest refused with the right reason, and the ledger agrees. Throughput is printed, not asserted.</summary>
public sealed class FlashCrowdTests(ApiFixture api, ITestOutputHelper output) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Three_hundred_citizens_on_one_slot_of_two_lines_get_two_bookings()
    {
        const int citizens = 300;
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2, IdPrefix: "flash"), DeliverySpec.Today(1000));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(6);
        var slot = (await portal.SlotsAsync(centreId, day, day))[0];
        Assert.Equal(2, slot.Remaining);
        Assert.Equal(TestData.At(day, 8), slot.Start);

        var bodies = Enumerable.Range(0, citizens).Select(_ => BookingBody.For(centreId, slot.Start)).ToArray();
        Assert.Equal(citizens, bodies.Select(b => b.Citizen.LastName).Distinct().Count());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = new Stopwatch();
        var calls = bodies.Select(body => Task.Run(async () =>
        {
            await gate.Task;
            using var response = await portal.BookAsync(body);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })).ToArray();
        clock.Start();
        gate.SetResult();
        var results = await Task.WhenAll(calls);
        clock.Stop();

        var created = results.Where(r => r.StatusCode == HttpStatusCode.Created).ToArray();
        var refused = results.Where(r => r.StatusCode != HttpStatusCode.Created).ToArray();
        Assert.Equal(2, created.Length);
        Assert.Equal(citizens - 2, refused.Length);
        Assert.All(refused, r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Equal("/problems/slot-full", JsonSerializer.Deserialize<ProblemDto>(r.Body, JsonSerializerOptions.Web)!.Type);
        });
        var bookings = created.Select(r => JsonSerializer.Deserialize<BookingDto>(r.Body, JsonSerializerOptions.Web)!).ToArray();
        Assert.All(bookings, b =>
        {
            Assert.Equal("confirmed", b.Status);
            Assert.Equal(slot.Start, b.First);
            Assert.Equal(TestData.Local(b.First).TimeOfDay, TestData.Local(b.Second).TimeOfDay);
        });

        Assert.Equal(2, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Equal(bookings.Select(b => b.Reference).Order(), (await api.Db.BookingRefsAsync(centreId)).Select(r => r.Reference).Order());
        Assert.Equal(2, (await api.Db.CitizenBookingsAtAsync(centreId)).Count);
        var after = await portal.SlotsAsync(centreId, day, day);
        Assert.DoesNotContain(after, s => s.Start == slot.Start && s.Remaining > 0);

        output.WriteLine(
            $"Flash crowd: {citizens} concurrent requests on one slot decided in {clock.Elapsed.TotalMilliseconds:0} ms " +
            $"({citizens / clock.Elapsed.TotalSeconds:0} decisions/s, {created.Length / clock.Elapsed.TotalSeconds:0.0} confirmed bookings/s: " +
            $"only 2 seats exist, so the confirmed rate is bounded by capacity, not by the grain).");
    }

    [Fact]
    public async Task Two_thousand_bookings_with_64_in_flight_are_all_confirmed()
    {
        const int citizens = 2000;
        const int inFlight = 64;
        // 10 lines × 72 ten-minute slots a day × 5 first-dose days = 3,600 seats, every slot gets at
        // most 6 first doses and its second doses land 21 days later at the same time (at most 6 of
        // 10 seats); 4,000 doses cover all 2,000 pairs. Everything fits, so all must be confirmed.
        var centreId = await api.CreateCentreAsync(
            new CentreSpec(Lines: 10, Open: "08:00", Close: "20:00", IdPrefix: "throughput"), DeliverySpec.Today(2 * citizens));
        using var portal = api.Portal();
        var from = TestData.Today.AddDays(5);
        var slots = await portal.SlotsAsync(centreId, from, from.AddDays(4));
        Assert.Equal(5 * 72, slots.Length);

        var bodies = Enumerable.Range(0, citizens).Select(i => BookingBody.For(centreId, slots[i % slots.Length].Start)).ToArray();
        var results = new ConcurrentBag<(HttpStatusCode Status, string Body)>();
        var clock = Stopwatch.StartNew();
        await Task.Run(() => Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = inFlight }, async (body, _) =>
        {
            using var response = await portal.BookAsync(body);
            results.Add((response.StatusCode, await response.Content.ReadAsStringAsync()));
        }));
        clock.Stop();

        var failures = results.Where(r => r.Status != HttpStatusCode.Created).Take(3).Select(r => $"{(int)r.Status} {r.Body}");
        Assert.True(results.All(r => r.Status == HttpStatusCode.Created), string.Join("\n", failures));
        Assert.Equal(citizens, results.Count);
        Assert.Equal(citizens, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Equal(citizens, (await api.Db.CitizenBookingsAtAsync(centreId)).Count);

        // recorded_at is the grain's decision time: first to last confirmation, as the centre saw it.
        var span = await api.Db.LedgerSpanAsync(centreId, "pair-booked");
        output.WriteLine(
            $"Throughput: {citizens} bookings ({inFlight} in flight) on one centre in {clock.Elapsed.TotalMilliseconds:0} ms end to end: " +
            $"{citizens / clock.Elapsed.TotalSeconds:0} confirmed bookings/s; the centre grain decided them within " +
            $"{(span.Last - span.First).TotalMilliseconds:0} ms ({span.Count / Math.Max((span.Last - span.First).TotalSeconds, 0.001):0} confirmations/s).");
    }

    [Fact]
    public async Task Centre_grain_alone_confirms_two_thousand_concurrent_pairs()
    {
        // A measurement of the centre grain without HTTP and citizen grains in front of it: the
        // same 2,000 pairs as above, all sent to the grain at once through the silo's grain factory.
        const int pairs = 2000;
        var centreId = await api.CreateCentreAsync(
            new CentreSpec(Lines: 10, Open: "08:00", Close: "20:00", IdPrefix: "grain"), DeliverySpec.Today(2 * pairs));
        using var portal = api.Portal();
        var from = TestData.Today.AddDays(5);
        var slots = await portal.SlotsAsync(centreId, from, from.AddDays(4));
        var centre = api.Services.GetRequiredService<IGrainFactory>().GetGrain<ICentreGrain>(centreId);
        var commands = Enumerable.Range(0, pairs).Select(i => new BookPairCommand(
            "pfizer", slots[i % slots.Length].Start, null,
            new CitizenKeys($"grain-test-{Guid.NewGuid():N}", "birth-date-check"), null)).ToArray();

        var clock = Stopwatch.StartNew();
        var results = await Task.Run(() => Task.WhenAll(commands.Select(c => centre.BookPair(c))));
        clock.Stop();

        Assert.All(results, r => Assert.Null(r.Problem));
        Assert.Equal(pairs, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        output.WriteLine(
            $"Centre grain alone: {pairs} concurrent pairs confirmed (durable) in {clock.Elapsed.TotalMilliseconds:0} ms: " +
            $"{pairs / clock.Elapsed.TotalSeconds:0} confirmed bookings/s.");
    }

    [Fact]
    public async Task Listings_read_at_once_over_many_ranges_each_come_back_whole()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2, IdPrefix: "lists"), DeliverySpec.Today(1000));
        using var portal = api.Portal();
        var from = TestData.Today.AddDays(1);
        // More ranges than a centre keeps listings for, so most reads are first reads, each written
        // afresh on whichever thread runs the centre: every answer must be whole and the same.
        var ranges = Enumerable.Range(0, 31).Select(days => from.AddDays(days)).ToArray();

        var bodies = await Task.WhenAll(Enumerable.Range(0, 96).Select(async n =>
        {
            var to = ranges[n % ranges.Length];
            using var response = await portal.SlotsResponseAsync(centreId, from, to);
            return (To: to, Body: await Expect.StatusAsync(response, HttpStatusCode.OK));
        }));

        foreach (var group in bodies.GroupBy(b => b.To))
        {
            var slots = JsonSerializer.Deserialize<SlotDto[]>(group.First().Body, JsonSerializerOptions.Web)!;
            Assert.NotEmpty(slots);
            Assert.All(slots, slot => Assert.InRange(DateOnly.FromDateTime(slot.Start.DateTime), from, group.Key));
            Assert.All(group, b => Assert.Equal(group.First().Body, b.Body));
            using var again = await portal.SlotsResponseAsync(centreId, from, group.Key);
            Assert.Equal(group.First().Body, await again.Content.ReadAsStringAsync());
        }
    }
}
