namespace Booking.LoadTests.Tests;

public class ArrivalScheduleTests
{
    [Theory]
    [InlineData(2000, 10)]
    [InlineData(7.5, 3)]
    [InlineData(1000, 0)]
    public void ArrivalTime_is_the_inverse_of_Arrivals_during_and_after_the_ramp(double rate, double ramp)
    {
        var total = (long)LoadRunner.Arrivals(ramp + 20, rate, ramp);
        for (long k = 1; k < total; k += Math.Max(1, total / 997))
        {
            var t = LoadRunner.ArrivalTime(k, rate, ramp);
            Assert.Equal(k, LoadRunner.Arrivals(t, rate, ramp), 1e-6 * k);
        }
        // What the dispatcher relies on: at time t, the arrivals launched so far are exactly those already due.
        foreach (var t in new[] { 0.25, ramp / 3, ramp * 0.99, ramp, ramp + 0.5, ramp + 17 })
        {
            var due = (long)LoadRunner.Arrivals(t, rate, ramp);
            var last = Math.Max(due - 1, 0);
            Assert.True(LoadRunner.ArrivalTime(last, rate, ramp) <= t, $"arrival {last} is not due by {t}");
            Assert.True(LoadRunner.ArrivalTime(due + 1, rate, ramp) > t, $"arrival {due + 1} is due by {t}");
        }
    }

    [Fact]
    public void Arrivals_grow_quadratically_on_the_ramp_then_at_the_rate()
    {
        Assert.Equal(0, LoadRunner.Arrivals(0, 100, 10));
        Assert.Equal(125, LoadRunner.Arrivals(5, 100, 10), 9);
        Assert.Equal(500, LoadRunner.Arrivals(10, 100, 10), 9);
        Assert.Equal(600, LoadRunner.Arrivals(11, 100, 10), 9);
        Assert.Equal(0, LoadRunner.ArrivalTime(0, 100, 10));
        Assert.Equal(5, LoadRunner.ArrivalTime(125, 100, 10), 9);
        Assert.Equal(11, LoadRunner.ArrivalTime(600, 100, 10), 9);
    }

    [Theory]
    [InlineData(2000, 10, 60)]
    [InlineData(333, 7, 30)]
    [InlineData(50, 0, 20)]
    [InlineData(120, 40, 40)]
    public void A_run_offers_rate_times_duration_minus_half_the_ramp(double rate, double ramp, double duration)
    {
        Assert.Equal(rate * (duration - ramp / 2), LoadRunner.Arrivals(duration, rate, ramp), 6);
    }

    [Fact]
    public void Arrivals_never_decrease_and_are_due_in_order()
    {
        double previous = -1;
        for (var t = 0.0; t <= 30; t += 0.01)
        {
            var n = LoadRunner.Arrivals(t, 400, 10);
            Assert.True(n >= previous, $"arrivals went down at t = {t}");
            previous = n;
        }
        double due = -1;
        for (long k = 0; k < 10_000; k++)
        {
            var at = LoadRunner.ArrivalTime(k, 400, 10);
            Assert.True(at > due, $"arrival {k} is due at {at}, not after arrival {k - 1} at {due}");
            due = at;
        }
    }
}
