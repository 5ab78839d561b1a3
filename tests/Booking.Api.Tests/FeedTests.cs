using System.Net;
using System.Text.Json;

namespace Booking.Api.Tests;

/// <summary>The public SMART feed, end to end: it follows the engine through the read model.</summary>
public sealed class FeedTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task The_feed_publishes_a_centres_slots_with_the_engines_capacity()
    {
        // Two lines and one 30-minute slot a day: two bookable seats each day.
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2, SlotMinutes: 30, Open: "09:00", Close: "09:30", Vaccines: ["pfizer"]),
            DeliverySpec.Today(100));
        var day = TestData.Today.AddDays(2);
        using var anonymous = api.WithKey(null);

        using (var manifest = await anonymous.GetAsync("/fhir/$bulk-publish"))
        {
            var body = JsonDocument.Parse(await Expect.StatusAsync(manifest, HttpStatusCode.OK)).RootElement;
            Assert.Equal(["Location", "Schedule", "Slot"], body.GetProperty("output").EnumerateArray().Select(o => o.GetProperty("type").GetString()));
        }
        Assert.Equal(2, await Eventually.ValueAsync(() => Capacity(anonymous, centreId, day), c => c == 2, TimeSpan.FromSeconds(30), "the feed to show the new centre"));

        using var portal = api.Portal();
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 9)));
        Assert.Equal(1, await Eventually.ValueAsync(() => Capacity(anonymous, centreId, day), c => c == 1, TimeSpan.FromSeconds(30), "the feed to show the booking"));
    }

    /// <summary>The slot-capacity of the centre's pfizer Slot on <paramref name="day"/>, or null when absent.</summary>
    private static async Task<int?> Capacity(HttpClient client, string centreId, DateOnly day)
    {
        var manifest = JsonDocument.Parse(await client.GetStringAsync("/fhir/$bulk-publish")).RootElement;
        var slotsUrl = manifest.GetProperty("output").EnumerateArray().Single(o => o.GetProperty("type").GetString() == "Slot").GetProperty("url").GetString()!;
        var ndjson = await client.GetStringAsync(new Uri(slotsUrl).PathAndQuery);
        foreach (var line in ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var slot = JsonDocument.Parse(line).RootElement;
            if (slot.GetProperty("schedule").GetProperty("reference").GetString() == $"Schedule/{centreId}-pfizer"
                && DateOnly.FromDateTime(TestData.Local(slot.GetProperty("start").GetDateTimeOffset()).DateTime) == day)
            {
                return slot.GetProperty("extension").EnumerateArray()
                    .Single(e => e.GetProperty("url").GetString()!.EndsWith("slot-capacity", StringComparison.Ordinal))
                    .GetProperty("valueInteger").GetInt32();
            }
        }
        return null;
    }
}
