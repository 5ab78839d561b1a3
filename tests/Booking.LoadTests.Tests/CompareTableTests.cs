namespace Booking.LoadTests.Tests;

public class CompareTableTests
{
    [Fact]
    public void The_ratio_stands_alone_when_both_systems_answered_every_booking_in_time()
    {
        Assert.Equal("| grains ÷ baseline (confirmed/s) | 5.4× |  |", Scenarios.RatioRow(3_932, 733, 0, 0));
    }

    [Fact]
    public void A_baseline_that_left_bookings_unanswered_is_named_beside_the_ratio()
    {
        Assert.Equal(
            "| grains ÷ baseline (confirmed/s) | 10.1× | the baseline left 5,360 bookings unanswered, so this also counts its collapse past capacity |",
            Scenarios.RatioRow(3_894, 386, 0, 5_360));
    }

    [Fact]
    public void Unanswered_bookings_of_the_grains_or_of_both_are_named_too()
    {
        Assert.EndsWith("| the grains left 12 bookings unanswered, so this also counts their collapse past capacity |",
            Scenarios.RatioRow(1_000, 500, 12, 0), StringComparison.Ordinal);
        Assert.EndsWith("| both left bookings unanswered (grains 12, baseline 3,400): both were past capacity |",
            Scenarios.RatioRow(1_000, 500, 12, 3_400), StringComparison.Ordinal);
    }
}
