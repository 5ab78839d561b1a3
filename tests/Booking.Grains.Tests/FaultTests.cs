using System.Diagnostics.Metrics;
using System.Text;
using Booking.Abstractions;
using Booking.Grains.Centres;
using Booking.Grains.Storage;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.TestingHost;

namespace Booking.Grains.Tests;

public sealed class OneSilo() : ClusterFixture(1);

/// <summary>A decision whose ledger batch fails is not confirmed, takes nothing, and the centre
/// rebuilds from what the ledger really holds.</summary>
public sealed class FaultTests(OneSilo fixture) : IClassFixture<OneSilo>
{
    [Fact]
    public async Task A_failed_commit_answers_unavailable_and_leaves_the_seat_free()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "fault-" + Guid.NewGuid().ToString("N")[..12];
        var centre = await TestCentres.CreateAsync(grains, centreId);
        var kept = await centre.BookPair(TestCentres.Pair("kept-" + centreId, TestCentres.At(3, 9)));
        Assert.True(kept.Succeeded);

        FaultyLedgerWriter.FailNext(centreId, 1);
        await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            centre.BookPair(TestCentres.Pair("lost-" + centreId, TestCentres.At(3, 10))));

        // The seat the failed decision had taken in memory is free again, after a rebuild.
        var retaken = await TestCentres.RetryWhileRecovering(() => centre.BookPair(TestCentres.Pair("next-" + centreId, TestCentres.At(3, 10))));
        Assert.True(retaken.Succeeded, retaken.Problem?.Detail);
        var full = await centre.BookPair(TestCentres.Pair("late-" + centreId, TestCentres.At(3, 10)));
        Assert.Equal(ProblemKind.SlotFull, full.Problem?.Kind);

        await using var db = fixture.OpenDatabase();
        var identities = (await db.QueryAsync<string>(
            "SELECT identity_key FROM citizen_bookings WHERE centre_id = @centreId ORDER BY identity_key", new { centreId })).ToArray();
        Assert.Equal(new[] { "identity-kept-" + centreId, "identity-next-" + centreId }, identities);
        var booked = await db.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM ledger WHERE centre_id = @centreId AND kind = 'pair-booked'", new { centreId });
        Assert.Equal(2, booked);
    }

    [Fact]
    public async Task A_silo_stops_finding_a_centre_s_listings_after_its_next_decision_and_once_it_deactivates()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "listed-" + Guid.NewGuid().ToString("N")[..12];
        var centre = await TestCentres.CreateAsync(grains, centreId);
        var silo = Assert.IsType<InProcessSiloHandle>(Assert.Single(fixture.Cluster.GetActiveSilos())).SiloHost.Services.GetRequiredService<LocalListings>();
        var day = TestCentres.Today().AddDays(3);
        async Task<SlotListing?> KeptAsync()
        {
            await centre.FirstDoseSlots("pfizer", day, day);
            await centre.FirstDoseSlots("pfizer", day, day);
            return silo.Find(centreId, "pfizer", day, day, DateTimeOffset.UtcNow);
        }
        Assert.NotNull(await KeptAsync());

        FaultyLedgerWriter.FailNext(centreId, 1);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => centre.BookPair(TestCentres.Pair("lost-" + centreId, TestCentres.At(3, 10))));
        // The failed decision was applied in memory before its commit failed: what was kept before it is stale.
        Assert.Null(silo.Find(centreId, "pfizer", day, day, DateTimeOffset.UtcNow));

        var booked = await TestCentres.RetryWhileRecovering(() => centre.BookPair(TestCentres.Pair("next-" + centreId, TestCentres.At(3, 11))));
        Assert.True(booked.Succeeded, booked.Problem?.Detail);
        Assert.NotNull(await KeptAsync());

        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (silo.Find(centreId, "pfizer", day, day, DateTimeOffset.UtcNow) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The deactivated centre's listings are still found.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_failed_commit_leaves_no_identity_claim_and_the_person_can_book_again()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "claim-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var person = "p-" + centreId;
        var citizen = TestCentres.Citizens(grains, person);

        FaultyLedgerWriter.FailNext(centreId, 1);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => citizen.Book(centreId, TestCentres.Pair(person, TestCentres.At(3, 9))));
        await using (var db = fixture.OpenDatabase())
        {
            Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM citizen_bookings WHERE centre_id = @centreId", new { centreId }));
        }

        var booked = await TestCentres.RetryWhileRecovering(() => citizen.Book(centreId, TestCentres.Pair(person, TestCentres.At(3, 9))));
        Assert.True(booked.Succeeded, booked.Problem?.Detail);
        await using var check = fixture.OpenDatabase();
        var claim = await check.QuerySingleAsync<string>(
            "SELECT reference FROM citizen_bookings WHERE identity_key = @key", new { key = TestCentres.Citizen(person).IdentityKey });
        Assert.Equal(booked.Value!.Reference, claim);
    }

    [Fact]
    public async Task Decisions_queued_behind_a_failed_batch_of_the_same_activation_fail_too()
    {
        var centreId = "writer-" + Guid.NewGuid().ToString("N")[..12];
        await using (var db = fixture.OpenDatabase())
        {
            await db.ExecuteAsync(
                "INSERT INTO ledger (centre_id, seq, kind, payload, recorded_at) VALUES (@centreId, 1, 'test', '{}', now())", new { centreId });
        }
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        var writer = new LedgerWriter(dataSource, fixture.Meters, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            var stale = Guid.NewGuid();
            // Seq 1 is taken: this activation's batch fails, and so must its next decision,
            // which may stand on the first one.
            var clash = writer.AppendAsync(Row(stale, centreId, 1, "stale-1"));
            var behind = writer.AppendAsync(Row(stale, centreId, 2, "stale-2"));
            await Assert.ThrowsAsync<LedgerCommitFailedException>(() => clash);
            await Assert.ThrowsAsync<LedgerCommitFailedException>(() => behind);
            await writer.AppendAsync(Row(Guid.NewGuid(), centreId, 2, "rebuilt-2"));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }

        await using var check = fixture.OpenDatabase();
        var rows = (await check.QueryAsync<(long, string)>(
            "SELECT seq, kind FROM ledger WHERE centre_id = @centreId ORDER BY seq", new { centreId })).ToArray();
        Assert.Equal(new[] { (1L, "test"), (2L, "rebuilt-2") }, rows);
    }

    [Fact]
    public async Task A_batch_commits_every_part_it_carries_or_none_of_them()
    {
        var centreId = "parts-" + Guid.NewGuid().ToString("N")[..12];
        var now = DateTimeOffset.UtcNow;
        await using (var db = fixture.OpenDatabase())
        {
            await db.ExecuteAsync(
                "INSERT INTO citizen_bookings (identity_key, reference, centre_id) VALUES (@a, 'OLD-A', @centreId), (@b, 'OLD-B', @centreId)",
                new { a = "a-" + centreId, b = "b-" + centreId, centreId });
        }
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        var writer = new LedgerWriter(dataSource, fixture.Meters, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        LedgerAppend Everything(long seq, string person, string releasedPerson) => new(Guid.NewGuid())
        {
            Ledger = new LedgerRow(centreId, seq, "test", "{}"u8.ToArray(), now),
            Reference = new BookingReferenceRow("REF-" + person, centreId, person, now),
            CitizenClaim = new CitizenBookingRow(person, "REF-" + person, centreId),
            CitizenReleases = [new CitizenBookingRow(releasedPerson, "OLD-" + releasedPerson[..1].ToUpperInvariant(), centreId)],
            Idempotency = new IdempotencyRow("test", "key-" + person, "hash", 201, "{}"u8.ToArray(), now),
            Directory = new CentreDirectoryRow(centreId, "Parts " + seq, "1 rue", "75001", "Paris", 48.8, 2.3, "Europe/Paris", ["pfizer"], now),
            Availability = [new AvailabilityRow(centreId, "pfizer", "[]"u8.ToArray(), now)],
        };
        try
        {
            await writer.AppendAsync(Everything(1, "kept-" + centreId, "a-" + centreId));
            // Seq 1 is taken: nothing of this second decision may stay, its release included.
            await Assert.ThrowsAsync<LedgerCommitFailedException>(() => writer.AppendAsync(Everything(1, "lost-" + centreId, "b-" + centreId)));
            // The writer keeps one command per kind of batch: after the failed one it still commits.
            await writer.AppendAsync(Everything(2, "later-" + centreId, "none-" + centreId));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }

        await using var check = fixture.OpenDatabase();
        Assert.Equal(new[] { "REF-kept-" + centreId, "REF-later-" + centreId }, await check.QueryAsync<string>(
            "SELECT reference FROM booking_refs WHERE centre_id = @centreId ORDER BY reference", new { centreId }));
        Assert.Equal(
            new[] { ("b-" + centreId, "OLD-B"), ("kept-" + centreId, "REF-kept-" + centreId), ("later-" + centreId, "REF-later-" + centreId) },
            await check.QueryAsync<(string, string)>(
                "SELECT identity_key, reference FROM citizen_bookings WHERE centre_id = @centreId ORDER BY identity_key", new { centreId }));
        Assert.Equal(new[] { "key-kept-" + centreId, "key-later-" + centreId }, await check.QueryAsync<string>(
            "SELECT key FROM idempotency WHERE key LIKE @pattern ORDER BY key", new { pattern = "key-%" + centreId }));
        Assert.Equal("Parts 2", await check.QuerySingleAsync<string>("SELECT name FROM centres WHERE id = @centreId", new { centreId }));
        Assert.Equal(1, await check.ExecuteScalarAsync<long>("SELECT count(*) FROM availability WHERE centre_id = @centreId", new { centreId }));
    }

    [Fact]
    public async Task One_batch_keeps_a_centre_s_last_definition_and_availability_and_a_key_s_first_answer()
    {
        var centreId = "once-" + Guid.NewGuid().ToString("N")[..12];
        var now = DateTimeOffset.UtcNow;
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        var writer = new LedgerWriter(dataSource, fixture.Meters, NullLogger<LedgerWriter>.Instance);
        LedgerAppend Decision(long seq) => new(Guid.NewGuid())
        {
            Ledger = new LedgerRow(centreId, seq, "test", "{}"u8.ToArray(), now),
            Idempotency = new IdempotencyRow("test", "key-" + centreId, "hash", 201, Encoding.UTF8.GetBytes("{\"seq\":" + seq + "}"), now),
            Directory = new CentreDirectoryRow(centreId, "Name " + seq, "1 rue", "75001", "Paris", 48.8, 2.3, "Europe/Paris", ["pfizer", "moderna"], now),
            Availability = [new AvailabilityRow(centreId, "pfizer", Encoding.UTF8.GetBytes("[" + seq + "]"), now)],
        };
        // Queued before the loop starts, the three decisions are taken as one batch.
        var decisions = new[] { writer.AppendAsync(Decision(1)), writer.AppendAsync(Decision(2)), writer.AppendAsync(Decision(3)) };
        await writer.StartAsync(CancellationToken.None);
        try
        {
            await Task.WhenAll(decisions);
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }

        await using var check = fixture.OpenDatabase();
        Assert.Equal(new[] { 1L, 2L, 3L }, await check.QueryAsync<long>("SELECT seq FROM ledger WHERE centre_id = @centreId ORDER BY seq", new { centreId }));
        var (name, vaccines) = await check.QuerySingleAsync<(string, string[])>("SELECT name, vaccines FROM centres WHERE id = @centreId", new { centreId });
        Assert.Equal("Name 3", name);
        Assert.Equal(["pfizer", "moderna"], vaccines);
        Assert.Equal("[3]", await check.QuerySingleAsync<string>("SELECT days FROM availability WHERE centre_id = @centreId", new { centreId }));
        Assert.Equal("{\"seq\":1}", await check.QuerySingleAsync<string>("SELECT response FROM idempotency WHERE key = @key", new { key = "key-" + centreId }));
    }

    [Fact]
    public async Task The_writer_reports_each_committed_batch_s_decisions_and_each_failed_batch()
    {
        var centreId = "metered-" + Guid.NewGuid().ToString("N")[..12];
        await using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = meters.GetRequiredService<IMeterFactory>();
        using var decisions = new MetricCollector<int>(factory, LedgerMetrics.MeterName, "booking.ledger.batch.decisions");
        using var durations = new MetricCollector<double>(factory, LedgerMetrics.MeterName, "booking.ledger.batch.duration");
        using var failed = new MetricCollector<long>(factory, LedgerMetrics.MeterName, "booking.ledger.batch.failed");
        using var waiting = new MetricCollector<int>(factory, LedgerMetrics.MeterName, "booking.ledger.waiting");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        var writer = new LedgerWriter(dataSource, factory, NullLogger<LedgerWriter>.Instance);

        // Queued before the loop starts, the three decisions wait, then go as one batch.
        var queued = new[] { writer.AppendAsync(Row(Guid.NewGuid(), centreId, 1, "a")), writer.AppendAsync(Row(Guid.NewGuid(), centreId, 2, "b")),
            writer.AppendAsync(Row(Guid.NewGuid(), centreId, 3, "c")) };
        waiting.RecordObservableInstruments();
        Assert.Equal(3, waiting.LastMeasurement!.Value);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            await Task.WhenAll(queued);
            // Seq 3 is taken: this batch fails.
            await Assert.ThrowsAsync<LedgerCommitFailedException>(() => writer.AppendAsync(Row(Guid.NewGuid(), centreId, 3, "clash")));
            await writer.AppendAsync(Row(Guid.NewGuid(), centreId, 4, "d"));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }

        Assert.Equal(new[] { 3, 1 }, decisions.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal(2, durations.GetMeasurementSnapshot().Count);
        Assert.All(durations.GetMeasurementSnapshot(), m => Assert.True(m.Value > 0));
        Assert.Equal(new[] { 1L }, failed.GetMeasurementSnapshot().Select(m => m.Value));
        waiting.RecordObservableInstruments();
        Assert.Equal(0, waiting.LastMeasurement!.Value);
    }

    private static LedgerAppend Row(Guid writer, string centreId, long seq, string kind) =>
        new(writer) { Ledger = new LedgerRow(centreId, seq, kind, "{}"u8.ToArray(), DateTimeOffset.UtcNow) };
}
