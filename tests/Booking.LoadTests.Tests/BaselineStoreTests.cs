using Booking.Baseline;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
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

    [Fact]
    public async Task A_centre_is_not_replaced_while_a_booking_at_it_is_committing()
    {
        using var listings = new ListingCache();
        var store = new Store(DataSource, listings, NullLogger<Store>.Instance);
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
