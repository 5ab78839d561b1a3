using HdrHistogram;
using System.Diagnostics;

namespace Booking.LoadTests.Tests;

public class SweepTests
{
    private const double Objective = 20;

    private static SweepStep Step(double rate, double p99, double confirmedShare = 1.0, long answered = 1_000) =>
        new(rate, rate, rate * confirmedShare, answered, p99);

    [Fact]
    public void Rates_rise_by_the_step_up_to_and_including_the_last()
    {
        Assert.Equal([500.0, 1000, 1500, 2000], Sweep.Rates(500, 2000, 500));
        Assert.Equal([500.0, 1000, 1500], Sweep.Rates(500, 1999, 500));
        Assert.Equal([1000.0], Sweep.Rates(1000, 1000, 500));
    }

    [Fact]
    public void Rates_are_counted_in_steps_so_a_fractional_step_reaches_the_last_rate()
    {
        var rates = Sweep.Rates(0.1, 1.0, 0.1);

        Assert.Equal(10, rates.Count);
        Assert.Equal(1.0, rates[^1], precision: 9);
    }

    [Fact]
    public void A_sweep_never_has_more_than_its_maximum_number_of_steps()
    {
        Assert.Equal(Sweep.MaxSteps, Sweep.Rates(1, 1_000_000, 1).Count);
    }

    [Fact]
    public void A_step_meets_the_objective_at_the_objective_and_not_above_it()
    {
        Assert.True(Step(1000, p99: 20).Meets(Objective));
        Assert.False(Step(1000, p99: 20.01).Meets(Objective));
    }

    [Fact]
    public void A_step_that_fell_behind_what_it_was_offered_does_not_meet_the_objective_however_fast_its_answers()
    {
        Assert.True(Step(1000, p99: 5, confirmedShare: 0.98).Meets(Objective));
        Assert.False(Step(1000, p99: 5, confirmedShare: 0.97).Meets(Objective));
    }

    [Fact]
    public void A_step_without_answered_bookings_does_not_meet_the_objective()
    {
        Assert.False(Step(1000, p99: 0, answered: 0).Meets(Objective));
    }

    [Fact]
    public void The_highest_rate_is_the_last_step_before_the_first_miss()
    {
        // A step after a miss is not counted: beyond capacity the backlog of one step spills into the next.
        var steps = new[] { Step(500, 6), Step(1000, 12), Step(1500, 35), Step(2000, 9) };

        Assert.Equal(1000, Sweep.HighestMeeting(steps, Objective));
    }

    [Fact]
    public void Every_step_met_gives_the_last_rate_and_a_first_miss_gives_none()
    {
        Assert.Equal(1500, Sweep.HighestMeeting([Step(500, 6), Step(1000, 12), Step(1500, 19)], Objective));
        Assert.Null(Sweep.HighestMeeting([Step(500, 21), Step(1000, 12)], Objective));
        Assert.Null(Sweep.HighestMeeting([], Objective));
    }
}

public class MetricsTests
{
    [Fact]
    public void Bookings_answered_during_the_ramp_count_in_the_whole_run_but_not_after_the_ramp()
    {
        var metrics = new Metrics(seconds: 10, steadyFrom: 2);
        var ms = Stopwatch.Frequency / 1000;
        metrics.Booking.Record(0, 900 * ms);
        metrics.Sample(0);
        metrics.Booking.Record(0, 700 * ms);
        metrics.Sample(1);
        metrics.Booking.Record(0, 5 * ms);
        metrics.Booking.Record(0, 6 * ms);
        metrics.Sample(2);

        Assert.Equal(4, metrics.Booking.Total.TotalCount);
        Assert.Equal(2, metrics.BookingAfterRamp.TotalCount);
        Assert.InRange(metrics.BookingAfterRamp.GetMaxValue(), 6_000, 6_010);
    }

    [Fact]
    public void Confirmed_bookings_have_their_own_latency_collected_each_second_like_every_booking()
    {
        var metrics = new Metrics(seconds: 10);
        var ms = Stopwatch.Frequency / 1000;
        metrics.Booking.Record(0, 2 * ms);
        metrics.Booking.Record(0, 300 * ms);
        metrics.ConfirmedBooking.Record(0, 300 * ms);
        metrics.Sample(0);

        Assert.Equal(2, metrics.Booking.Total.TotalCount);
        Assert.Equal(1, metrics.ConfirmedBooking.Total.TotalCount);
        Assert.InRange(metrics.ConfirmedBooking.Total.GetValueAtPercentile(50), 300_000, 300_300);
    }
}
