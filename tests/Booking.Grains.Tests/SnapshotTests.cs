using Booking.Abstractions;
using Dapper;
using Orleans.Runtime;

namespace Booking.Grains.Tests;

/// <summary>A centre reactivates from its latest snapshot and the facts after it.</summary>
public sealed class SnapshotTests(OneSilo fixture) : IClassFixture<OneSilo>
{
    [Fact]
    public async Task A_centre_rebuilds_from_its_snapshot_and_the_facts_after_it()
    {
        var (centreId, people, booked, snapshotSeq) = await SnapshottedCentreAsync();

        // Without the rows the snapshot stands for, only the snapshot can tell the centre what it holds.
        await using (var db = fixture.OpenDatabase())
        {
            var deleted = await db.ExecuteAsync("DELETE FROM ledger WHERE centre_id = @centreId AND seq <= @snapshotSeq", new { centreId, snapshotSeq });
            Assert.Equal(ClusterFixture.SnapshotEvery, deleted);
        }

        await ExpectRebuiltAsync(centreId, people, booked);
    }

    [Theory]
    [InlineData("UPDATE centre_snapshots SET payload = '\\x00'::bytea WHERE centre_id = @centreId")]   // unreadable
    [InlineData("UPDATE centre_snapshots SET format = format + 1 WHERE centre_id = @centreId")]        // a format this build does not write
    public async Task A_centre_whose_snapshot_it_cannot_use_rebuilds_from_all_its_facts(string spoil)
    {
        var (centreId, people, booked, _) = await SnapshottedCentreAsync();
        await using (var db = fixture.OpenDatabase())
        {
            Assert.Equal(1, await db.ExecuteAsync(spoil, new { centreId }));
        }

        await ExpectRebuiltAsync(centreId, people, booked);
    }

    /// <summary>A centre with six bookings and its snapshot, taken at ledger row 5 and stored.</summary>
    private async Task<(string CentreId, string[] People, List<BookingInfo> Booked, long SnapshotSeq)> SnapshottedCentreAsync()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "snapshot-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var people = Enumerable.Range(0, 6).Select(i => $"p{i}-{centreId}").ToArray();
        var booked = new List<BookingInfo>();
        foreach (var (person, i) in people.Select((p, i) => (p, i)))
        {
            var result = await TestCentres.Citizens(grains, person).Book(centreId, TestCentres.Pair(person, TestCentres.At(3 + i, 9)));
            booked.Add(result.Value ?? throw new Xunit.Sdk.XunitException(result.Problem?.Detail));
        }

        // Configuration, delivery and three bookings are ledger rows 1-5: the snapshot is taken at
        // row 5, and stored once that row has committed.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long snapshotSeq;
        while ((snapshotSeq = await SnapshotSeq(centreId)) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "No snapshot was stored.");
            await Task.Delay(20);
        }
        Assert.Equal(ClusterFixture.SnapshotEvery, snapshotSeq);
        return (centreId, people, booked, snapshotSeq);
    }

    /// <summary>Once reactivated, the centre finds every booking and counts their seats and doses.</summary>
    private async Task ExpectRebuiltAsync(string centreId, string[] people, List<BookingInfo> booked)
    {
        var grains = fixture.Cluster.Client;
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var centre = grains.GetGrain<ICentreGrain>(centreId);
        foreach (var (booking, person) in booked.Zip(people))
        {
            var found = await centre.FindBooking(booking.Reference, TestCentres.Citizen(person).BirthDateCheck);
            Assert.NotNull(found);
            Assert.Equal(booking.Appointments.Select(a => (a.Dose, a.Start)), found.Appointments.Select(a => (a.Dose, a.Start)));
        }
        // Seats were counted again from the bookings: the one-line slot taken before is full.
        var late = "late-" + centreId;
        var again = await TestCentres.Citizens(grains, late).Book(centreId, TestCentres.Pair(late, TestCentres.At(3, 9)));
        Assert.Equal(ProblemKind.SlotFull, again.Problem?.Kind);
        var stock = await centre.StockReport("pfizer", TestCentres.Today(), TestCentres.Today().AddDays(40));
        Assert.Equal(2 * people.Length, stock.Sum(d => d.Booked));
    }

    private async Task<long> SnapshotSeq(string centreId)
    {
        await using var db = fixture.OpenDatabase();
        return await db.ExecuteScalarAsync<long?>("SELECT seq FROM centre_snapshots WHERE centre_id = @centreId", new { centreId }) ?? 0;
    }
}
