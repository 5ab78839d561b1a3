using Npgsql;

namespace Booking.Baseline;

/// <summary>The baseline's own tables, created at start-up. Seats and doses are counters that every
/// booking transaction changes under row locks: that is the conventional design being measured.</summary>
public static class Schema
{
    public const string Sql = """
        CREATE TABLE IF NOT EXISTS centres (
            id            text PRIMARY KEY,
            name          text        NOT NULL,
            time_zone     text        NOT NULL,
            lines         int         NOT NULL,
            slot_minutes  int         NOT NULL,
            horizon_days  int         NOT NULL,
            book_forecast boolean     NOT NULL,
            vaccines      text[]      NOT NULL,
            definition    jsonb       NOT NULL,
            stock_origin  date        NOT NULL,
            slots_until   date        NOT NULL,
            updated_at    timestamptz NOT NULL
        );

        -- One row per slot: capacity = lines, shared by every vaccine; booked never exceeds it.
        CREATE TABLE IF NOT EXISTS slots (
            centre_id    text        NOT NULL,
            start_utc    timestamptz NOT NULL,
            local_day    date        NOT NULL,
            local_minute int         NOT NULL,
            capacity     int         NOT NULL,
            booked       int         NOT NULL DEFAULT 0,
            PRIMARY KEY (centre_id, start_utc),
            CHECK (booked >= 0 AND booked <= capacity)
        );
        -- A day's slots (listings) and the free seat nearest a time of day (dose 2). No index holds
        -- `booked`, so taking or freeing a seat can be a HOT update, in the room the fill factor leaves
        -- on each page (slots_by_day, which included it, is replaced in databases made before).
        DROP INDEX IF EXISTS slots_by_day;
        CREATE INDEX IF NOT EXISTS slots_by_minute ON slots (centre_id, local_day, local_minute);
        ALTER TABLE slots SET (fillfactor = 80);

        -- The lock that every writer of a centre's stock of one vaccine takes first (see Store).
        CREATE TABLE IF NOT EXISTS stock (
            centre_id text NOT NULL,
            vaccine   text NOT NULL,
            PRIMARY KEY (centre_id, vaccine)
        );

        -- Usable doses delivered and appointments booked, per centre, vaccine and local day.
        CREATE TABLE IF NOT EXISTS stock_days (
            centre_id text NOT NULL,
            vaccine   text NOT NULL,
            day       date NOT NULL,
            delivered int  NOT NULL DEFAULT 0,
            booked    int  NOT NULL DEFAULT 0,
            PRIMARY KEY (centre_id, vaccine, day)
        );
        -- Every booking changes two of these rows: room on the page for HOT updates.
        ALTER TABLE stock_days SET (fillfactor = 50);

        CREATE TABLE IF NOT EXISTS deliveries (
            id         text PRIMARY KEY,
            centre_id  text        NOT NULL,
            vaccine    text        NOT NULL,
            day        date        NOT NULL,
            doses      int         NOT NULL,
            status     text        NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS deliveries_by_centre ON deliveries (centre_id, vaccine);

        CREATE TABLE IF NOT EXISTS bookings (
            reference    text PRIMARY KEY,
            number       bigint GENERATED ALWAYS AS IDENTITY,
            centre_id    text        NOT NULL,
            vaccine      text        NOT NULL,
            identity_key text        NOT NULL,
            birth_check  text        NOT NULL,
            status       text        NOT NULL,
            min_interval int         NOT NULL,
            max_interval int         NOT NULL,
            booked_at    timestamptz NOT NULL
        );
        -- I4: one active booking per identity, nationwide, enforced by the database.
        CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_active ON bookings (identity_key) WHERE status = 'confirmed';
        CREATE INDEX IF NOT EXISTS bookings_active_by_centre ON bookings (centre_id, vaccine, number) WHERE status = 'confirmed';

        CREATE TABLE IF NOT EXISTS appointments (
            reference text        NOT NULL,
            dose      int         NOT NULL,
            centre_id text        NOT NULL,
            start_utc timestamptz NOT NULL,
            local_day date        NOT NULL,
            PRIMARY KEY (reference, dose)
        );

        CREATE TABLE IF NOT EXISTS sms_outbox (
            id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            centre_id       text        NOT NULL,
            reference       text        NOT NULL,
            template        text        NOT NULL,
            recipient       text        NOT NULL,
            text            text        NOT NULL,
            segments        smallint    NOT NULL,
            created_at      timestamptz NOT NULL,
            status          text        NOT NULL DEFAULT 'pending',
            attempts        int         NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sms_outbox_due ON sms_outbox (next_attempt_at, id) WHERE status = 'pending';

        CREATE TABLE IF NOT EXISTS idempotency (
            scope        text        NOT NULL,
            key          text        NOT NULL,
            request_hash text        NOT NULL,
            status_code  int         NOT NULL,
            response     text        NOT NULL,
            created_at   timestamptz NOT NULL,
            PRIMARY KEY (scope, key)
        );
        """;

    /// <summary>Creates the database when it is missing (the connection string names it), then the tables.</summary>
    public static async Task EnsureAsync(string connectionString, ILogger logger)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var database = builder.Database ?? "booking_baseline";
        try
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            logger.LogWarning("Creating database {Database}", database);
            var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
            await using var conn = new NpgsqlConnection(admin.ConnectionString);
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", conn);
            await create.ExecuteNonQueryAsync();
        }
        await using (var conn = new NpgsqlConnection(connectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(Sql, conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
