using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

public class DoseTimelineTests
{
    private static readonly DateOnly Origin = T.Day("2027-01-01");

    private static DateOnly D(int days) => Origin.AddDays(days);

    [Fact]
    public void The_window_starts_at_the_origin_and_spans_2048_days()
    {
        var timeline = new DoseTimeline(Origin);

        Assert.Equal(Origin, timeline.Origin);
        Assert.Equal(T.Day("2032-08-09"), timeline.End);
        Assert.True(timeline.Covers(Origin));
        Assert.True(timeline.Covers(timeline.End));
        Assert.False(timeline.Covers(D(-1)));
        Assert.False(timeline.Covers(D(2048)));
        Assert.Throws<ArgumentOutOfRangeException>(() => timeline.AddBooked(D(-1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => timeline.AddDelivered(D(2048), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => timeline.AvailableFrom(D(2048)));
    }

    [Fact]
    public void Nothing_delivered_means_nothing_available()
    {
        var timeline = new DoseTimeline(Origin);

        Assert.Equal(0, timeline.AvailableFrom(D(10)));
        Assert.False(timeline.CanTake(D(10)));
        Assert.False(timeline.CanTakePair(D(10), D(31)));
        Assert.Null(timeline.FirstShortDay());
    }

    [Fact]
    public void Unused_doses_carry_forward()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(0), 5);
        timeline.AddBooked(D(10), 3);

        Assert.Equal(2, timeline.AvailableFrom(D(0)));
        Assert.Equal(2, timeline.AvailableFrom(D(10)));
        Assert.Equal(2, timeline.AvailableFrom(D(500)));
        Assert.Equal(2, timeline.AvailableFrom(timeline.End));
        Assert.Equal(5, timeline.DeliveredOn(D(0)));
        Assert.Equal(3, timeline.BookedOn(D(10)));
        Assert.Equal(0, timeline.BookedOn(D(9)));
    }

    [Fact]
    public void Doses_cannot_be_used_before_they_arrive()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(10), 4);

        Assert.Equal(0, timeline.AvailableFrom(D(5)));
        Assert.False(timeline.CanTake(D(9)));
        Assert.True(timeline.CanTake(D(10)));
        Assert.Equal(4, timeline.AvailableFrom(D(10)));
    }

    [Fact]
    public void A_later_appointment_holds_its_dose_from_the_earlier_days()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(0), 3);
        timeline.AddBooked(D(20), 3);

        Assert.Equal(0, timeline.AvailableFrom(D(5)));
        Assert.False(timeline.CanTake(D(5)));
        Assert.Equal(3, timeline.AvailableBetween(D(5), D(20)));

        timeline.AddDelivered(D(30), 2);
        Assert.Equal(0, timeline.AvailableFrom(D(5)));
        Assert.Equal(0, timeline.AvailableFrom(D(21)));
        Assert.Equal(2, timeline.AvailableFrom(D(30)));
    }

    [Fact]
    public void A_delivery_dated_before_the_origin_counts_from_the_origin()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(-30), 4);
        timeline.AddDelivered(D(-1), 1);

        Assert.Equal(5, timeline.DeliveredOn(Origin));
        Assert.Equal(5, timeline.AvailableFrom(Origin));
        Assert.True(timeline.CanTake(Origin));
    }

    [Fact]
    public void A_pair_needs_one_dose_until_the_second_day_and_two_from_it()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(0), 1);
        timeline.AddDelivered(D(30), 1);

        Assert.True(timeline.CanTake(D(1)));
        Assert.False(timeline.CanTakePair(D(1), D(22)));
        Assert.False(timeline.CanTakePair(D(1), D(29)));
        Assert.True(timeline.CanTakePair(D(1), D(30)));
        Assert.True(timeline.CanTakePair(D(1), D(50)));
        Assert.Equal(1, timeline.AvailableBetween(D(1), D(30)));
        Assert.Equal(1, timeline.AvailableBetween(D(1), D(2)));

        timeline.AddBooked(D(15), 1);
        Assert.False(timeline.CanTakePair(D(1), D(30)));
        Assert.False(timeline.CanTakePair(D(16), D(40)));
        Assert.Equal(0, timeline.AvailableBetween(D(1), D(30)));
    }

    [Fact]
    public void A_pair_whose_first_day_has_no_dose_yet_is_refused()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(10), 2);

        Assert.False(timeline.CanTakePair(D(9), D(31)));
        Assert.True(timeline.CanTakePair(D(10), D(31)));
    }

    [Fact]
    public void First_short_day_finds_where_the_running_total_goes_negative()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(5), 2);
        Assert.Null(timeline.FirstShortDay());

        timeline.AddBooked(D(7), 2);
        Assert.Null(timeline.FirstShortDay());

        timeline.AddBooked(D(40), 1);
        Assert.Equal(D(40), timeline.FirstShortDay());

        timeline.AddBooked(D(3), 1);
        Assert.Equal(D(3), timeline.FirstShortDay());
        Assert.Equal(-2, timeline.AvailableFrom(D(0)));
    }

    [Fact]
    public void First_short_day_at_both_ends_of_the_window()
    {
        var atOrigin = new DoseTimeline(Origin);
        atOrigin.AddBooked(Origin, 1);
        Assert.Equal(Origin, atOrigin.FirstShortDay());

        var atEnd = new DoseTimeline(Origin);
        atEnd.AddDelivered(Origin, 3);
        atEnd.AddBooked(atEnd.End, 4);
        Assert.Equal(atEnd.End, atEnd.FirstShortDay());
        Assert.Equal(-1, atEnd.AvailableFrom(atEnd.End));
    }

    [Fact]
    public void Giving_back_an_appointment_restores_the_slack()
    {
        var timeline = new DoseTimeline(Origin);
        timeline.AddDelivered(D(0), 2);
        timeline.AddBooked(D(3), 1);
        timeline.AddBooked(D(25), 1);
        Assert.Equal(0, timeline.AvailableFrom(D(0)));

        timeline.AddBooked(D(3), -1);
        timeline.AddBooked(D(25), -1);

        Assert.Equal(2, timeline.AvailableFrom(D(0)));
        Assert.Equal(0, timeline.BookedOn(D(3)));
    }
}
