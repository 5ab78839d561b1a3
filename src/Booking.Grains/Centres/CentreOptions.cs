namespace Booking.Grains.Centres;

public sealed class CentreOptions
{
    /// <summary>How long an offer to a waiting person holds its seats and doses.</summary>
    public TimeSpan WaitlistHold { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long after a change a centre publishes its availability for the read models:
    /// changes in between are published together.</summary>
    public TimeSpan AvailabilityPublishDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How far behind its centre a first-dose listing may be: a range read again within
    /// this time of its listing being written gets that listing, though bookings may have changed
    /// the centre since. Zero: every read sees every change.</summary>
    public TimeSpan ListingLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a centre with open offers looks for expired ones.</summary>
    public TimeSpan OfferExpiryCheck { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The most facts a centre records between two snapshots of its state (a quarter of
    /// its facts, at least 200, when that is fewer): an activation replays at most this many
    /// facts after its snapshot.</summary>
    public int SnapshotEvery { get; set; } = 2000;
}
