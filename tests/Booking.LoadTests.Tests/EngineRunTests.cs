using System.Text.Json;
using Booking.Abstractions;
using Booking.EngineRun;

namespace Booking.LoadTests.Tests;

/// <summary>The engine run's own reading of listings and options: it measures nothing right if it
/// books slots a listing never offered, or runs with options it was not given.</summary>
public class EngineRunTests
{
    private sealed record Window(DateTimeOffset Earliest, DateTimeOffset Latest);

    private sealed record Slot(DateTimeOffset Start, int Remaining, Window? SecondDose);

    [Fact]
    public void A_listing_in_several_parts_gives_its_slots_with_seats_left_in_order()
    {
        var first = new DateTimeOffset(2027, 3, 1, 8, 0, 0, TimeSpan.FromHours(1));
        var slots = Enumerable.Range(0, 2_000)
            .Select(i => new Slot(first.AddMinutes(5 * i), i % 3, i % 7 == 0 ? null : new Window(first.AddDays(21), first.AddDays(42))))
            .ToArray();
        var listing = SlotListing.Of(JsonSerializer.SerializeToUtf8Bytes(slots, JsonSerializerOptions.Web));
        Assert.True(listing.Parts.Length > 2);

        var free = EngineRun.Listing.FreeSlots(listing);

        var expected = slots.Where(s => s.Remaining > 0).ToArray();
        Assert.Equal(expected.Select(s => s.Start), free.Select(s => s.Start));
        Assert.Equal(expected.Select(s => s.Remaining), free.Select(s => s.Remaining));
    }

    [Fact]
    public void An_empty_listing_gives_no_slots()
    {
        Assert.Empty(EngineRun.Listing.FreeSlots(SlotListing.Of("[]"u8)));
    }

    [Fact]
    public void Options_are_read_as_given_and_default_otherwise()
    {
        var db = "Host=127.0.0.1;Port=55440;Username=postgres;Database=run";

        Assert.Equal(new EngineRunOptions(db, 55440, 64, 20, 10, 1300, false, 1.0), EngineRunOptions.Parse(["--db", db]));
        Assert.Equal(
            new EngineRunOptions(db, 55440, 256, 30, 5, 100, true, 2.5),
            EngineRunOptions.Parse(["--db", db, "--callers", "256", "--duration", "30", "--warmup", "5", "--centres", "100", "--hot", "--listing-seconds", "2.5"]));
    }

    /// <param name="args">The arguments, separated by '|'.</param>
    [Theory]
    [InlineData("")]
    [InlineData("--callers|64")]
    [InlineData("--db|Host=127.0.0.1|--callers|0")]
    [InlineData("--db|Host=127.0.0.1|--centres|9")]
    [InlineData("--db|Host=127.0.0.1|--listing-seconds|0.05")]
    [InlineData("--db|Host=127.0.0.1|--duration")]
    [InlineData("--db|Host=127.0.0.1|--seconds|20")]
    [InlineData("--db|not a connection string")]
    public void Missing_unknown_or_out_of_range_options_are_refused(string args)
    {
        Assert.Null(EngineRunOptions.Parse(args.Split('|', StringSplitOptions.RemoveEmptyEntries)));
    }
}
