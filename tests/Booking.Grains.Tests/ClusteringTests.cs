using Booking.Abstractions;
using Dapper;
using Orleans.Runtime;

namespace Booking.Grains.Tests;

public sealed class TwoSilos() : ClusterFixture(2);

/// <summary>Two silos form one cluster through the project's own ADO.NET clustering schema, and
/// bookings outlive the silo that took them.</summary>
public sealed class ClusteringTests(TwoSilos fixture) : IClassFixture<TwoSilos>
{
    [Fact]
    public async Task Two_silos_join_one_cluster_through_the_database()
    {
        var hosts = await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);
        await using var db = fixture.OpenDatabase();
        var active = await db.ExecuteScalarAsync<long>("SELECT count(*) FROM orleansmembershiptable WHERE status = 3");
        Assert.Equal(2, active);
    }

    [Fact]
    public async Task Kept_grain_references_reach_the_grains_fresh_ones_do()
    {
        var grains = fixture.Cluster.Client;
        var references = new GrainReferences(grains);
        var centreId = "kept-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);

        var centre = references.Centre(centreId);
        Assert.Same(centre, references.Centre(centreId));
        Assert.Equal(centreId, (await centre.Describe())?.Id);
        var identity = TestCentres.Citizen("kept-" + centreId).IdentityKey;
        Assert.Same(references.Citizens(identity), references.Citizens(identity));
        Assert.Equal(Shards.Of(identity), references.Citizens(identity).GetPrimaryKeyLong());
        Assert.Equal(7, references.IdempotencyShard(7).GetPrimaryKeyLong());
        Assert.Same(references.IdempotencyShard(7), references.IdempotencyShard(7));
    }

    [Fact]
    public async Task Bookings_outlive_the_silo_that_took_them()
    {
        var grains = fixture.Cluster.Client;
        var booked = new List<(string Centre, BookingInfo Booking, string Person)>();
        for (var i = 0; i < 12; i++)
        {
            var centreId = $"cluster-{i}-{Guid.NewGuid():N}"[..20];
            await TestCentres.CreateAsync(grains, centreId);
            var person = $"p{i}-{centreId}";
            var result = await TestCentres.Citizens(grains, person)
                .Book(centreId, TestCentres.Pair(person, TestCentres.At(3, 9)));
            Assert.True(result.Succeeded, result.Problem?.Detail);
            booked.Add((centreId, result.Value!, person));
            // A cancelled booking too: its fact must replay as well (jsonb reorders its keys).
            var quitter = "q-" + person;
            var cancelled = await TestCentres.Citizens(grains, quitter)
                .Book(centreId, TestCentres.Pair(quitter, TestCentres.At(5, 9)));
            var cancel = await TestCentres.Citizens(grains, quitter)
                .Cancel(TestCentres.Citizen(quitter).IdentityKey, centreId, cancelled.Value!.Reference, TestCentres.Citizen(quitter).BirthDateCheck);
            Assert.True(cancel.Succeeded, cancel.Problem?.Detail);
        }

        await fixture.Cluster.StopSiloAsync(fixture.Cluster.SecondarySilos[0]);
        // Every centre rebuilds from its ledger: half moved silo, and the rest are told to.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await fixture.Cluster.StartAdditionalSiloAsync();

        foreach (var (centreId, booking, person) in booked)
        {
            var centre = grains.GetGrain<ICentreGrain>(centreId);
            var found = await centre.FindBooking(booking.Reference, TestCentres.Citizen(person).BirthDateCheck);
            Assert.NotNull(found);
            Assert.Equal((booking.Reference, "confirmed", centreId), (found.Reference, found.Status, found.CentreId));
            Assert.Equal(booking.Appointments, found.Appointments);
            var again = await TestCentres.Citizens(grains, person)
                .Book(centreId, TestCentres.Pair(person, TestCentres.At(4, 9)));
            Assert.Equal(ProblemKind.AlreadyBooked, again.Problem?.Kind);
            var taken = await centre.BookPair(TestCentres.Pair("other-" + person, TestCentres.At(3, 9)));
            Assert.Equal(ProblemKind.SlotFull, taken.Problem?.Kind);
        }
    }
}
