using Booking.Baseline;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Booking.LoadTests.Tests;

/// <summary>The SQL baseline's own locking, on a fresh database (server from BOOKING_TEST_PG).</summary>
public sealed class BaselineStoreTests : IAsyncLifetime
{
    private readonly string _database = "loadtests_baseline_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _server = Environment.GetEnvironmentVariable("BOOKING_TEST_PG")
        ?? throw new InvalidOperationException("BOOKING_TEST_PG is not set: run the tests through ./test.sh.");
    private NpgsqlDataSource? _dataSource;

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;

    private NpgsqlDataSource DataSource => _dataSource ??= NpgsqlDataSource.Create(ConnectionString);

    public Task InitializeAsync() => Schema.EnsureAsync(ConnectionString, NullLogger.Instance);

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Every day 09:00–12:00 in Paris, 15-minute slots, pfizer, a 28-day horizon.</summary>
    private static CentreDef Mornings(string id) =>
        new(id, "Centre " + id, "1 rue de la Paix", "75002", "Paris", 48.87, 2.33, "Europe/Paris", 2, 15,
            [.. Enum.GetValues<DayOfWeek>().Select(d => new Opening(d, new TimeOnly(9, 0), new TimeOnly(12, 0)))], [], ["pfizer"], 28, false);

    [Fact]
    public async Task A_search_shows_a_centre_s_next_bookable_slot_and_its_bookable_slots_over_seven_days()
    {
        using var listings = new ListingCache();
        var store = new Store(DataSource, listings, NullLogger<Store>.Instance, TimeProvider.System);
        var pfizer = Rules.Catalogue["pfizer"];
        Assert.Equal(201, (await store.PutCentre(Mornings("without-doses"))).Status);
        Assert.Equal(201, (await store.PutCentre(Mornings("with-doses"))).Status);
        var stocked = store.Centre("with-doses")!;
        var today = Rules.LocalDate(DateTimeOffset.UtcNow, stocked.Def.Zone);
        Assert.Equal(201, (await store.AddDelivery(stocked, "pfizer", today, 1_000, "confirmed")).Status);

        var empty = await store.OutlookAsync(store.Centre("without-doses")!, pfizer);
        var before = DateTimeOffset.UtcNow;
        var outlook = await store.OutlookAsync(stocked, pfizer);
        var after = DateTimeOffset.UtcNow;

        // Every slot is bookable (1,000 doses cover every pair): the slots of the coming days, in Paris.
        DateTimeOffset[] Starts(DateOnly from, int days, DateTimeOffset notBefore) =>
            [.. Enumerable.Range(0, days).SelectMany(d => Enumerable.Range(0, 12).Select(i =>
                    TimeZoneInfo.ConvertTimeToUtc(from.AddDays(d).ToDateTime(new TimeOnly(9, 0)).AddMinutes(15 * i), stocked.Def.Zone)))
                .Where(utc => utc > notBefore.UtcDateTime)
                .Select(utc => new DateTimeOffset(utc, TimeSpan.Zero))];
        Assert.Equal(new Outlook(null, 0), empty);
        Assert.InRange(outlook.FreeSlots7Days, Starts(today, 7, after).Length, Starts(today, 7, before).Length);
        Assert.Contains(outlook.NextFirstDoseSlot!.Value, new[] { Starts(today, 2, before)[0], Starts(today, 2, after)[0] });
    }

    [Fact]
    public async Task A_searched_outlook_is_kept_3_s_then_read_again_behind_the_answer_and_never_served_past_5_s()
    {
        var time = new FakeTimeProvider();
        using var listings = new ListingCache();
        var store = new Store(DataSource, listings, NullLogger<Store>.Instance, time);
        var pfizer = Rules.Catalogue["pfizer"];
        Assert.Equal(201, (await store.PutCentre(Mornings("refreshed"))).Status);
        Assert.Equal(201, (await store.PutCentre(Mornings("expired"))).Status);
        var refreshed = store.Centre("refreshed")!;
        var expired = store.Centre("expired")!;
        var today = Rules.LocalDate(DateTimeOffset.UtcNow, refreshed.Def.Zone);
        var none = new Outlook(null, 0);
        Assert.Equal(none, await store.OutlookAsync(refreshed, pfizer));
        Assert.Equal(none, await store.OutlookAsync(expired, pfizer));
        // Doses arrive at both: only a new read shows them.
        Assert.Equal(201, (await store.AddDelivery(refreshed, "pfizer", today, 1_000, "confirmed")).Status);
        Assert.Equal(201, (await store.AddDelivery(expired, "pfizer", today, 1_000, "confirmed")).Status);

        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Equal(none, await store.OutlookAsync(refreshed, pfizer));

        // Past 3 s the kept outlook is still the answer while it is read again behind it.
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(none, await store.OutlookAsync(refreshed, pfizer));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await store.OutlookAsync(refreshed, pfizer)).NextFirstDoseSlot is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the outlook was not read again behind the answer");
            await Task.Yield();
        }

        // Past 5 s without a read since, the answer waits for a new one.
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.NotNull((await store.OutlookAsync(expired, pfizer)).NextFirstDoseSlot);
    }

    [Fact]
    public async Task A_centre_is_not_replaced_while_a_booking_at_it_is_committing()
    {
        using var listings = new ListingCache();
        var store = new Store(DataSource, listings, NullLogger<Store>.Instance, TimeProvider.System);
        var centre = new CentreDef("c-1", "Centre 1", "1 rue de la Paix", "75002", "Paris", 48.87, 2.33, "Europe/Paris", 2, 15,
            [.. Enum.GetValues<DayOfWeek>().Select(d => new Opening(d, new TimeOnly(9, 0), new TimeOnly(12, 0)))], [], ["pfizer"], 28, false);
        Assert.Equal(201, (await store.PutCentre(centre)).Status);

        // A booking in flight, as the baseline makes one: it holds the centre's stock row of its
        // vaccine, and its row is not visible to others until it commits.
        await using var booking = await DataSource.OpenConnectionAsync();
        await using var transaction = await booking.BeginTransactionAsync();
        await booking.ExecuteAsync("""
            SELECT 1 FROM stock WHERE centre_id = 'c-1' AND vaccine = 'pfizer' FOR UPDATE;
            INSERT INTO bookings (reference, centre_id, vaccine, identity_key, birth_check, status, min_interval, max_interval, booked_at)
            VALUES ('REF-1', 'c-1', 'pfizer', 'identity-1', 'check-1', 'confirmed', 21, 42, now());
            """, transaction: transaction);

        var replacing = store.PutCentre(centre with { Lines = 3 });
        await WaitUntilSomeoneWaitsForALock();
        await transaction.CommitAsync();

        var outcome = await replacing;
        Assert.Equal(422, outcome.Status);
        await using var read = await DataSource.OpenConnectionAsync();
        Assert.Equal(2, await read.ExecuteScalarAsync<int>("SELECT lines FROM centres WHERE id = 'c-1'"));
        Assert.True(await read.ExecuteScalarAsync<long>("SELECT count(*) FROM slots WHERE centre_id = 'c-1'") > 0);
    }

    private async Task WaitUntilSomeoneWaitsForALock()
    {
        await using var watcher = await DataSource.OpenConnectionAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await watcher.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The replacement never waited for the booking's lock.");
            await Task.Delay(20);
        }
    }
}
