using Booking.Grains.Centres;
using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

/// <summary>Snapshots that cannot be this centre's state are refused, never half-read. That a
/// restored centre equals the replayed one is checked wherever a test rebuilds a centre
/// (<see cref="FactLog.AssertRebuildsSame"/>) and in the model properties.</summary>
public class CentreSnapshotTests
{
    private static readonly DateOnly Today = T.Day("2027-03-01");

    private static byte[] SnapshotOfABookedCentre()
    {
        var log = FactLog.Configured(T.Settings(vaccines: ["janssen"]), Today);
        log.Deliver("d-1", "janssen", Today, 10);
        log.Book(T.Request("A", "janssen", CentreState.S(log.Centre, "2027-03-02", 9)), T.At("2027-03-01T08:00+01:00"));
        return T.Snapshot(log.Centre);
    }

    [Fact]
    public void A_snapshot_of_another_centre_is_refused()
    {
        var snapshot = SnapshotOfABookedCentre();

        Assert.Throws<InvalidDataException>(() => CentreSnapshot.Read("another-centre", T.Catalog, snapshot));
    }

    [Fact]
    public void A_snapshot_cut_short_or_followed_by_other_bytes_is_refused()
    {
        var snapshot = SnapshotOfABookedCentre();

        Assert.Throws<InvalidDataException>(() => CentreSnapshot.Read("centre-log", T.Catalog, snapshot[..^1]));
        Assert.Throws<InvalidDataException>(() => CentreSnapshot.Read("centre-log", T.Catalog, [.. snapshot, 0]));
        Assert.Equal("A", Assert.Single(CentreSnapshot.Read("centre-log", T.Catalog, snapshot).Bookings).Reference);
    }

    [Fact]
    public void A_snapshot_in_another_format_is_refused()
    {
        var snapshot = SnapshotOfABookedCentre();
        BitConverter.GetBytes(CentreSnapshot.Format + 1).CopyTo(snapshot, 4);

        Assert.Throws<InvalidDataException>(() => CentreSnapshot.Read("centre-log", T.Catalog, snapshot));
    }

    [Fact]
    public void An_unconfigured_centre_has_no_snapshot() =>
        Assert.Throws<InvalidOperationException>(() => SnapshotBuffers.Take(new Centre("empty", T.Catalog)));
}
