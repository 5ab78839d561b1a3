using System.Net;

namespace Booking.Api.Tests;

/// <summary>One active booking per person nationwide (I4), whatever the spelling of the name.</summary>
public sealed class IdentityTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Fifty_concurrent_bookings_of_one_person_at_five_centres_confirm_exactly_one()
    {
        var centres = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            centres.Add(await api.CreateCentreAsync(new CentreSpec(Lines: 10, Vaccines: ["pfizer"]), DeliverySpec.Today(500)));
        }
        var last = "Dupont-" + TestData.UniqueLetters()[..8];
        var spellings = new[]
        {
            ("Élodie", last), ("ELODIE", last.ToUpperInvariant()), ("  elodie ", last.Replace('-', ' ')),
            ("Elodie", last.Replace("-", "  - ")), ("élodie", "  " + last.ToLowerInvariant() + "  "),
        };
        var day = TestData.Today.AddDays(5);
        using var portal = api.Portal();
        var statuses = await Task.Run(() => Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var (first, lastName) = spellings[i % spellings.Length];
            var citizen = new CitizenBody(first, lastName, "1985-07-14", "+33612345678", null);
            using var response = await portal.BookAsync(BookingBody.For(centres[i % 5], TestData.At(day, 9, 10 * (i / 5 % 6)), citizen: citizen));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })));

        var confirmed = Assert.Single(statuses, s => s.StatusCode == HttpStatusCode.Created);
        Assert.All(statuses.Where(s => s.StatusCode != HttpStatusCode.Created), s =>
        {
            Assert.Equal(HttpStatusCode.Conflict, s.StatusCode);
            Assert.Contains("/problems/already-booked", s.Body);
        });
        var booking = System.Text.Json.JsonSerializer.Deserialize<BookingDto>(confirmed.Body, System.Text.Json.JsonSerializerOptions.Web)!;
        var claims = await api.Db.CitizenBookingsOfAsync((await api.Db.BookingRefAsync(booking.Reference))!.IdentityKey);
        Assert.Equal(booking.Reference, Assert.Single(claims).Reference);

        // Once cancelled, the same person (another spelling, another centre) can book again.
        using (var cancel = await portal.CancelAsync(booking.Reference, "1985-07-14"))
        {
            await Expect.StatusAsync(cancel, HttpStatusCode.NoContent);
        }
        var other = centres.First(c => c != booking.CentreId);
        await portal.BookOkAsync(BookingBody.For(other, TestData.At(day, 11), citizen: new CitizenBody("ELODIE", last.ToUpperInvariant(), "1985-07-14", "0612345678", null)));
    }
}
