using System.Collections.Concurrent;
using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Centres;
using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

/// <summary>
/// <see cref="SlotListingCache"/> writes the portal's JSON by hand and keeps it: the JSON must be
/// what the serializer writes for the same slots, and a kept listing must never outlive a change.
/// Paris, 09:00/10:00/11:00 slots every day, two lines, today is Monday 1 March 2027.
/// </summary>
public class SlotListingCacheTests
{
    private static readonly DateOnly Today = T.Day("2027-03-01");
    private static readonly DateTimeOffset Now = T.At("2027-03-01T08:00+01:00");

    private sealed record Window(DateTimeOffset Earliest, DateTimeOffset Latest);

    private sealed record Slot(DateTimeOffset Start, int Remaining, Window? SecondDose);

    private static Centre Stocked(string zone = "Europe/Paris")
    {
        var centre = T.Configured(T.Settings(zone: zone, lines: 2, vaccines: ["pfizer", "janssen"]), Today);
        T.Deliver(centre, "pfizer", Today, 100);
        T.Deliver(centre, "janssen", Today, 100);
        return centre;
    }

    private static string Serialized(Centre centre, string vaccine, DateOnly from, DateOnly to, DateTimeOffset now) =>
        JsonSerializer.Serialize(
            centre.FirstDoseSlots(vaccine, from, to, now)
                .Select(s => new Slot(s.Start, s.Remaining, s.SecondEarliest is { } e && s.SecondLatest is { } l ? new Window(e, l) : null)),
            JsonSerializerOptions.Web);

    private static string Text(SlotListing listing) => System.Text.Encoding.UTF8.GetString(listing.Parts.SelectMany(p => p).ToArray());

    [Theory]
    [InlineData("pfizer")]
    [InlineData("janssen")]
    [InlineData("moderna")]
    public void The_json_is_what_the_serializer_writes_for_the_slots(string vaccine)
    {
        var centre = Stocked();
        T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-02T10:00+01:00")), Now);

        var listing = new SlotListingCache(lag: TimeSpan.Zero).Get(centre, vaccine, Today, Today.AddDays(6), Now);

        Assert.Equal(Serialized(centre, vaccine, Today, Today.AddDays(6), Now), Text(listing));
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("America/Martinique")]
    [InlineData("Pacific/Noumea")]
    [InlineData("Asia/Kolkata")]
    public void Starts_are_written_as_the_serializer_writes_them_in_any_offset(string zone)
    {
        var centre = Stocked(zone);
        var now = T.At("2027-02-28T00:00Z");

        var listing = new SlotListingCache(lag: TimeSpan.Zero).Get(centre, "pfizer", Today, Today.AddDays(6), now);

        Assert.Equal(Serialized(centre, "pfizer", Today, Today.AddDays(6), now), Text(listing));
        Assert.Contains("\"start\":\"2027-03-02T09:00:00", Text(listing), StringComparison.Ordinal);
    }

    [Fact]
    public void A_listing_is_kept_from_its_second_read_until_the_centre_changes()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        var first = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        var second = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now.AddMinutes(10));

        Assert.NotSame(first, second);
        Assert.Equal(Text(first), Text(second));
        Assert.Same(second, cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now.AddMinutes(30)));
        Assert.NotSame(second, cache.Get(centre, "pfizer", Today, Today.AddDays(1), Now));

        T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-01T09:00+01:00")), Now);
        var afterBooking = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);

        Assert.NotSame(second, afterBooking);
        Assert.Contains("{\"start\":\"2027-03-01T09:00:00+01:00\",\"remaining\":1,", Text(afterBooking));
        Assert.Equal(Serialized(centre, "pfizer", Today, Today.AddDays(2), Now), Text(afterBooking));
    }

    [Fact]
    public void A_listing_read_once_between_changes_is_not_kept()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-01T09:00+01:00")), Now);

        // The state changed before the second read: that read is a first one again.
        var afterBooking = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        var again = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);

        Assert.NotSame(afterBooking, again);
        Assert.Same(again, cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now));
        Assert.Equal(Serialized(centre, "pfizer", Today, Today.AddDays(2), Now), Text(again));
    }

    [Fact]
    public void A_range_read_again_within_the_lag_gets_a_listing_at_most_that_far_behind_the_centre()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.FromSeconds(1));
        var at = T.At("2027-03-01T07:00+01:00");
        var first = cache.Get(centre, "pfizer", Today, Today.AddDays(2), at);
        T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-01T09:00+01:00")), at);

        // Read again 0.4 s later, after a change: written afresh, and kept.
        var second = cache.Get(centre, "pfizer", Today, Today.AddDays(2), at.AddMilliseconds(400));
        Assert.NotSame(first, second);
        Assert.Equal(Serialized(centre, "pfizer", Today, Today.AddDays(2), at), Text(second));
        T.Book(centre, T.Request("R2", "pfizer", T.At("2027-03-01T09:00+01:00")), at);

        // Within a second of being written it is served as it was, by the grain and to other threads.
        Assert.Same(second, cache.Get(centre, "pfizer", Today, Today.AddDays(2), at.AddMilliseconds(1300)));
        Assert.Same(second, cache.Find("pfizer", Today, Today.AddDays(2), at.AddMilliseconds(1390)));
        Assert.Contains("{\"start\":\"2027-03-01T09:00:00+01:00\",\"remaining\":1,", Text(second));

        // A second after it was written, it is behind no more.
        Assert.Null(cache.Find("pfizer", Today, Today.AddDays(2), at.AddMilliseconds(1400)));
        var third = cache.Get(centre, "pfizer", Today, Today.AddDays(2), at.AddMilliseconds(1400));
        Assert.NotSame(second, third);
        Assert.Equal(Serialized(centre, "pfizer", Today, Today.AddDays(2), at), Text(third));
        Assert.DoesNotContain("2027-03-01T09:00:00", Text(third));
    }

    [Fact]
    public void A_listing_behind_the_centre_is_not_served_once_its_first_slot_starts()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.FromMinutes(5));
        var before = T.At("2027-03-01T08:58+01:00");
        cache.Get(centre, "janssen", Today, Today.AddDays(2), before);
        T.Book(centre, T.Request("R1", "janssen", T.At("2027-03-01T10:00+01:00")), before);
        var kept = cache.Get(centre, "janssen", Today, Today.AddDays(2), before);
        T.Book(centre, T.Request("R2", "janssen", T.At("2027-03-01T10:00+01:00")), before);
        Assert.Same(kept, cache.Get(centre, "janssen", Today, Today.AddDays(2), before.AddMinutes(1)));

        var atNine = T.At("2027-03-01T09:00+01:00");
        Assert.Null(cache.Find("janssen", Today, Today.AddDays(2), atNine));
        Assert.Equal(Serialized(centre, "janssen", Today, Today.AddDays(2), atNine), Text(cache.Get(centre, "janssen", Today, Today.AddDays(2), atNine)));
    }

    [Fact]
    public void A_centre_keeps_the_listings_of_sixteen_ranges_and_drops_the_one_written_longest_ago()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        var kept = new List<SlotListing>();
        for (var i = 0; i < 17; i++)
        {
            var at = Now.AddSeconds(i);
            cache.Get(centre, "pfizer", Today, Today.AddDays(i), at);
            kept.Add(cache.Get(centre, "pfizer", Today, Today.AddDays(i), at));
        }

        var later = Now.AddSeconds(20);
        Assert.Null(cache.Find("pfizer", Today, Today, later));
        Assert.All(Enumerable.Range(1, 16), i => Assert.Same(kept[i], cache.Find("pfizer", Today, Today.AddDays(i), later)));
    }

    [Fact]
    public void A_listing_expires_when_its_first_slot_starts_and_when_the_day_turns()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        cache.Get(centre, "janssen", Today, Today.AddDays(28), Now);
        var atEight = cache.Get(centre, "janssen", Today, Today.AddDays(28), Now);
        Assert.Same(atEight, cache.Get(centre, "janssen", Today, Today.AddDays(28), Now));

        var atNine = cache.Get(centre, "janssen", Today, Today.AddDays(28), T.At("2027-03-01T09:00+01:00"));
        Assert.NotSame(atEight, atNine);
        Assert.StartsWith("[{\"start\":\"2027-03-01T10:00:00+01:00\"", Text(atNine));

        // After the last slot of the day nothing starts before tomorrow 09:00, but the horizon moves at midnight.
        cache.Get(centre, "janssen", Today, Today.AddDays(40), T.At("2027-03-01T23:00+01:00"));
        var evening = cache.Get(centre, "janssen", Today, Today.AddDays(40), T.At("2027-03-01T23:00+01:00"));
        Assert.Same(evening, cache.Get(centre, "janssen", Today, Today.AddDays(40), T.At("2027-03-01T23:30+01:00")));
        var nextDay = cache.Get(centre, "janssen", Today, Today.AddDays(40), T.At("2027-03-02T00:30+01:00"));
        Assert.NotSame(evening, nextDay);
        Assert.Equal(Serialized(centre, "janssen", Today, Today.AddDays(40), T.At("2027-03-02T00:30+01:00")), Text(nextDay));
        Assert.NotEqual(Text(evening), Text(nextDay));
    }

    [Fact]
    public void Other_threads_find_a_kept_listing_only_while_the_grain_would_serve_it()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        Assert.Null(cache.Find("pfizer", Today, Today.AddDays(2), Now));

        cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        Assert.Null(cache.Find("pfizer", Today, Today.AddDays(2), Now));
        var kept = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        Assert.Same(kept, cache.Find("pfizer", Today, Today.AddDays(2), Now.AddMinutes(30)));
        Assert.Null(cache.Find("pfizer", Today, Today.AddDays(1), Now));
        Assert.Null(cache.Find("janssen", Today, Today.AddDays(2), Now));
        // Its first slot starts at 09:00.
        Assert.Null(cache.Find("pfizer", Today, Today.AddDays(2), T.At("2027-03-01T09:00+01:00")));

        T.Book(centre, T.Request("R1", "pfizer", T.At("2027-03-01T09:00+01:00")), Now);
        Assert.Null(cache.Find("pfizer", Today, Today.AddDays(2), Now));

        cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        var afterBooking = cache.Get(centre, "pfizer", Today, Today.AddDays(2), Now);
        Assert.Same(afterBooking, cache.Find("pfizer", Today, Today.AddDays(2), Now));
        Assert.Contains("{\"start\":\"2027-03-01T09:00:00+01:00\",\"remaining\":1,", Text(afterBooking));
    }

    [Fact]
    public async Task A_listing_found_while_the_centre_changes_was_kept_at_the_version_seen_before_looking_or_later()
    {
        var centre = Stocked();
        T.Deliver(centre, "pfizer", Today, 1000);
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        var from = Today.AddDays(1);
        var to = Today.AddDays(20);
        var kept = new ConcurrentDictionary<long, SlotListing>();
        var found = new ConcurrentQueue<(long Seen, SlotListing Listing)>();
        SlotListing? latest = null;
        var writing = true;
        // Each kept listing waits until a reader has found it, so that readers look before, during
        // and after every change.
        void Keep()
        {
            cache.Get(centre, "pfizer", from, to, Now);
            var listing = kept[centre.Version] = cache.Get(centre, "pfizer", from, to, Now);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!ReferenceEquals(Volatile.Read(ref latest), listing))
            {
                Assert.True(DateTime.UtcNow < deadline, "No reader found the kept listing.");
                Thread.Yield();
            }
        }
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (Volatile.Read(ref writing))
            {
                var seen = centre.Version;
                if (cache.Find("pfizer", from, to, Now) is { } listing)
                {
                    found.Enqueue((seen, listing));
                    Volatile.Write(ref latest, listing);
                }
            }
        })).ToArray();

        // Every seat of the range, one booking (one new version) at a time, each listing kept at once.
        Keep();
        var seats = Enumerable.Range(1, 20).SelectMany(d => new[] { 9, 10, 11 }.SelectMany(h => Enumerable.Repeat(
            T.At($"2027-03-{d + 1:00}T{h:00}:00+01:00"), 2)));
        foreach (var (start, i) in seats.Select((s, i) => (s, i)))
        {
            T.Book(centre, T.Request($"R{i}", "pfizer", start), Now);
            Keep();
        }
        Volatile.Write(ref writing, false);
        await Task.WhenAll(readers);

        Assert.Equal(121, kept.Count);
        Assert.All(found, f => Assert.Contains(kept, k => k.Key >= f.Seen && ReferenceEquals(k.Value, f.Listing)));
        Assert.Equal("[]", Text(cache.Find("pfizer", from, to, Now)!));
    }

    [Fact]
    public void Other_threads_stop_finding_a_listing_when_the_centre_s_day_turns()
    {
        var centre = Stocked();
        var cache = new SlotListingCache(lag: TimeSpan.Zero);
        var evening = T.At("2027-03-01T23:00+01:00");
        cache.Get(centre, "janssen", Today, Today.AddDays(40), evening);
        var kept = cache.Get(centre, "janssen", Today, Today.AddDays(40), evening);

        Assert.Same(kept, cache.Find("janssen", Today, Today.AddDays(40), T.At("2027-03-01T23:59:59+01:00")));
        // Midnight in Paris is still 23:00 in UTC: the centre's own day is what counts.
        Assert.Null(cache.Find("janssen", Today, Today.AddDays(40), T.At("2027-03-02T00:00+01:00")));
    }

    [Fact]
    public void A_silo_finds_the_listings_of_the_centre_s_current_activation_only()
    {
        var centre = Stocked();
        var earlier = new SlotListingCache(lag: TimeSpan.Zero);
        var current = new SlotListingCache(lag: TimeSpan.Zero);
        earlier.Get(centre, "pfizer", Today, Today, Now);
        earlier.Get(centre, "pfizer", Today, Today, Now);
        current.Get(centre, "pfizer", Today, Today, Now);
        var kept = current.Get(centre, "pfizer", Today, Today, Now);
        var silo = new LocalListings();

        silo.Add("c1", earlier);
        silo.Add("c1", current);
        silo.Withdraw("c1", earlier);

        Assert.Same(kept, silo.Find("c1", "pfizer", Today, Today, Now));
        Assert.Null(silo.Find("c2", "pfizer", Today, Today, Now));
        silo.Withdraw("c1", current);
        Assert.Null(silo.Find("c1", "pfizer", Today, Today, Now));
    }

    [Theory]
    [InlineData(0, new int[] { 0 })]
    [InlineData(65_536, new[] { 65_536 })]
    [InlineData(200_000, new[] { 65_536, 65_536, 65_536, 3_392 })]
    public void A_listing_is_kept_in_parts_below_the_large_object_threshold(int length, int[] partLengths)
    {
        var json = Enumerable.Range(0, length).Select(i => (byte)(i % 251)).ToArray();

        var listing = SlotListing.Of(json);

        Assert.Equal(partLengths, listing.Parts.Select(p => p.Length));
        Assert.Equal(json, listing.Parts.SelectMany(p => p));
        Assert.Equal(length, listing.Length);
    }
}
