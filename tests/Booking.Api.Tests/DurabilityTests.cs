using System.Net;
using Booking.Abstractions;

namespace Booking.Api.Tests;

/// <summary>
/// I5: a 201 means durable. Bookings are made on one host, the whole host (HTTP + silo + ledger
/// writer) is disposed, and a new host is started on the same database. The new host keeps the
/// ClusterId (and identity secret) of the old one, as a restarted deployment would, but listens on
/// new silo ports: the old silo left the membership table as Dead on shutdown, so the new one joins
/// an empty cluster, and everything it knows it rebuilds from the ledger.
/// </summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Confirmed_bookings_survive_a_restart_of_the_whole_host()
    {
        var day = TestData.Today.AddDays(6);
        var full = TestData.At(day, 9);
        var citizens = Enumerable.Range(0, 4).Select(i => CitizenBody.New($"Durable{(char)('a' + i)}", $"198{i}-0{i + 1}-1{i}")).ToArray();
        var bookings = new List<BookingDto>();
        string centreId;
        string otherCentreId;

        var before = ApiFixture.KeepingDatabase();
        ApiFixture? after = null;
        try
        {
            await before.InitializeAsync();
            centreId = await before.CreateCentreAsync(new CentreSpec(Lines: 1, IdPrefix: "durable"), DeliverySpec.Today(8));
            otherCentreId = await before.CreateCentreAsync(new CentreSpec(Lines: 5, IdPrefix: "durable-other"), DeliverySpec.Today(50));
            using (var portal = before.Portal())
            {
                bookings.Add(await portal.BookOkAsync(BookingBody.For(centreId, full, citizen: citizens[0])));
                bookings.Add(await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 10), citizen: citizens[1])));
                bookings.Add(await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day.AddDays(1), 9), TestData.At(day.AddDays(30), 9), citizens[2])));
                bookings.Add(await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day.AddDays(2), 9), citizen: citizens[3])));
                // The centre's 8 doses are all promised now.
                using var empty = await portal.BookAsync(BookingBody.For(centreId, TestData.At(day, 11)));
                await Expect.ProblemAsync(empty, HttpStatusCode.Conflict, "out-of-stock");
            }
            await before.DisposeAsync();

            after = before.RestartedCopy();
            Assert.NotEqual(before.SiloPort, after.SiloPort);
            await after.InitializeAsync();
            // Ready means it read the centres and the shards back before any request came.
            var active = await after.ActivationsAsync();
            Assert.True(active.TryGetValue("CentreGrain", out var centres), string.Join(", ", active.Keys));
            Assert.Equal((2, Shards.Count, Shards.Count), (centres, active["CitizenShardGrain"], active["IdempotencyShardGrain"]));
            using var client = after.Portal();

            // Every confirmed booking reads back, unchanged, with its birth date.
            for (var i = 0; i < bookings.Count; i++)
            {
                using var get = await client.GetBookingAsync(bookings[i].Reference, citizens[i].BirthDate);
                var read = await Expect.BookingAsync(get, HttpStatusCode.OK);
                Assert.Equal(bookings[i], read, BookingComparer.Instance);
            }
            // Capacity is still taken: the full slot is still full.
            using (var fullAgain = await client.BookAsync(BookingBody.For(centreId, full)))
            {
                await Expect.ProblemAsync(fullAgain, HttpStatusCode.Conflict, "slot-full");
            }
            // Doses are still promised.
            using (var noDoses = await client.BookAsync(BookingBody.For(centreId, TestData.At(day, 12))))
            {
                await Expect.ProblemAsync(noDoses, HttpStatusCode.Conflict, "out-of-stock");
            }
            // The citizens still hold their booking (I4), here and anywhere else.
            using (var again = await client.BookAsync(BookingBody.For(otherCentreId, TestData.At(day, 14), citizen: citizens[0])))
            {
                await Expect.ProblemAsync(again, HttpStatusCode.Conflict, "already-booked");
            }
            Assert.Equal(4, await after.Db.CountLedgerAsync(centreId, "pair-booked"));
            Assert.Equal(0, await after.Db.CountLedgerAsync(otherCentreId, "pair-booked"));

            // And the restarted host still works: a cancellation frees the full slot for someone else.
            using (var cancel = await client.CancelAsync(bookings[0].Reference, citizens[0].BirthDate))
            {
                await Expect.StatusAsync(cancel, HttpStatusCode.NoContent);
            }
            var taken = await client.BookOkAsync(BookingBody.For(centreId, full));
            Assert.Equal(bookings[0].Appointments, taken.Appointments);
        }
        finally
        {
            await before.DisposeAsync();
            // The copy drops the database when disposed, even if it never started.
            await (after ?? before.RestartedCopy()).DisposeAsync();
        }
    }
}
