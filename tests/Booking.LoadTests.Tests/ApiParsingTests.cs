using System.Globalization;
using System.Text;

namespace Booking.LoadTests.Tests;

public class ApiParsingTests
{
    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void Slots_keep_each_start_verbatim_with_its_remaining_seats()
    {
        var slots = Api.ParseSlots(Utf8("""
            [
              {"start":"2030-03-05T09:00:00+01:00","remaining":3,"secondDose":{"earliest":"2030-03-26T09:00:00+01:00","latest":"2030-04-23T11:00:00+02:00"}},
              {"start":"2030-03-05T10:00:00+01:00","remaining":1,"secondDose":null},
              {"secondDose":{"earliest":"2030-03-26T09:00:00+01:00","latest":"2030-04-23T11:00:00+02:00"},"remaining":2,"start":"2030-03-05T11:00:00+01:00"}
            ]
            """));
        Assert.Equal(
            ["2030-03-05T09:00:00+01:00 3", "2030-03-05T10:00:00+01:00 1", "2030-03-05T11:00:00+01:00 2"],
            slots.Select(s => $"{s.Start} {s.Remaining}"));
    }

    [Fact]
    public void Slots_without_free_seats_are_left_out()
    {
        var slots = Api.ParseSlots(Utf8("""
            [{"start":"2030-03-05T09:00:00+01:00","remaining":0,"secondDose":null},
             {"start":"2030-03-05T10:00:00+01:00","remaining":4,"secondDose":null}]
            """));
        Assert.Equal(["2030-03-05T10:00:00+01:00"], slots.Select(s => s.Start));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"type":"https://booking.example/problems/not-found","status":404}""")]
    public void Anything_but_a_list_of_slots_lists_nothing(string json)
    {
        Assert.Empty(Api.ParseSlots(Utf8(json)));
    }

    [Theory]
    [InlineData("""{"type":"https://vaccination.example/problems/slot-full","title":"Slot full","status":409}""", "slot-full")]
    [InlineData("""{"title":"Out of stock","status":409,"extensions":{"type":"x"},"type":"/problems/out-of-stock"}""", "out-of-stock")]
    [InlineData("""{"type":"rate-limited","status":429}""", "rate-limited")]
    public void Problem_type_is_the_suffix_of_the_type_member(string json, string expected)
    {
        Assert.Equal(expected, Api.ProblemType(Utf8(json)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"reference":"ABC-123","status":"confirmed"}""")]
    [InlineData("""{"type":42}""")]
    [InlineData("""{"title":"truncated""")]
    [InlineData("Service Unavailable")]
    public void Bodies_without_a_problem_type_have_none(string body)
    {
        Assert.Null(Api.ProblemType(Utf8(body)));
    }

    [Fact]
    public void A_listing_counts_seats_down_in_place_and_matches_starts_without_a_string_each()
    {
        var slots = Api.ParseSlots(Utf8("""
            [
              {"start":"2030-03-05T09:00:00+01:00","remaining":3,"secondDose":null},
              {"start":"2030-03-05T10:00:00\u002B01:00","remaining":2,"secondDose":null}
            ]
            """));

        Interlocked.Decrement(ref slots[1].Remaining);

        Assert.Equal(["2030-03-05T09:00:00+01:00 3", "2030-03-05T10:00:00+01:00 1"], slots.Select(s => $"{s.Start} {s.Remaining}"));
        Assert.True(slots.StartIs(1, "2030-03-05T10:00:00+01:00"));
        Assert.False(slots.StartIs(0, "2030-03-05T10:00:00+01:00"));
        Assert.True(slots.IsFree(1));
        Assert.False(slots.IsFree(1, except: "2030-03-05T10:00:00+01:00"));

        var longBefore = DateTimeOffset.Parse("2030-03-05T00:00:00Z", CultureInfo.InvariantCulture);
        Assert.True(slots.AnyBookable(longBefore));
        slots[0].Remaining = 0;
        slots[1].Remaining = 0;

        Assert.False(slots.AnyBookable(longBefore));
    }

    [Fact]
    public void A_slot_is_bookable_only_while_free_and_not_yet_too_close_to_its_start()
    {
        var slots = Api.ParseSlots(Utf8("""
            [
              {"start":"2030-03-05T09:00:00+01:00","remaining":3,"secondDose":null},
              {"start":"2030-03-05T10:00:00+01:00","remaining":1,"secondDose":null},
              {"start":"2030-03-05T11:00:00+01:00","remaining":1,"secondDose":null}
            ]
            """));
        slots[1].Remaining = 0;
        var nineUtc = new DateTimeOffset(2030, 3, 5, 9, 0, 0, TimeSpan.Zero);

        Assert.Equal([false, false, true], Enumerable.Range(0, 3).Select(i => slots.IsBookable(i, nineUtc)));
        Assert.False(slots.IsBookable(2, nineUtc, except: "2030-03-05T11:00:00+01:00"));
        Assert.True(slots.AnyBookable(nineUtc));
        Assert.False(slots.AnyBookable(nineUtc.AddTicks(1).AddHours(1)));
    }

    [Fact]
    public void A_listed_start_is_compared_as_an_instant_whatever_its_offset()
    {
        var slots = Api.ParseSlots(Utf8("""
            [
              {"start":"2030-03-05T09:00:00+01:00","remaining":3,"secondDose":null},
              {"start":"2030-03-05T10:00:00-04:00","remaining":2,"secondDose":null}
            ]
            """));
        var utcEight = new DateTimeOffset(2030, 3, 5, 8, 0, 0, TimeSpan.Zero);

        Assert.True(slots.StartsFrom(0, utcEight));
        Assert.False(slots.StartsFrom(0, utcEight.AddSeconds(1)));
        Assert.True(slots.StartsFrom(1, utcEight.AddHours(6)));
        Assert.False(slots.StartsFrom(1, utcEight.AddHours(6).AddTicks(1)));
    }
}
