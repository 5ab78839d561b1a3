using Booking.Grains.Centres;

namespace Booking.Domain.Tests;

public class SnapshotGapTests
{
    [Theory]
    [InlineData(0, 200)]
    [InlineData(200, 200)]
    [InlineData(800, 200)]
    [InlineData(1_000, 250)]
    [InlineData(4_000, 1_000)]
    [InlineData(8_000, 2_000)]
    [InlineData(50_000, 2_000)]
    public void A_centre_takes_a_snapshot_every_quarter_of_its_facts_at_least_200_and_at_most_SnapshotEvery_apart(long seq, long gap) =>
        Assert.Equal(gap, CentreGrain.SnapshotGap(seq, every: 2_000));

    [Fact]
    public void A_smaller_SnapshotEvery_also_lowers_the_floor() =>
        Assert.Equal(5, CentreGrain.SnapshotGap(0, every: 5));
}
