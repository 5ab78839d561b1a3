using Dapper;
using Npgsql;

namespace Booking.Api.Tests;

public sealed record LedgerEntry(string CentreId, long Seq, string Kind, string Payload);

public sealed record BookingRefEntry(string Reference, string CentreId, string IdentityKey);

public sealed record CitizenBookingEntry(string IdentityKey, string Reference, string CentreId);

public sealed record IdempotencyEntry(string Scope, string Key, string RequestHash, int StatusCode, string Response);

/// <summary>Reads back, with Dapper, what the engine committed: the tests' view of durability.</summary>
public sealed class TestDatabase(string connectionString)
{
    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string centreId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<LedgerEntry>(
            "SELECT centre_id AS CentreId, seq AS Seq, kind AS Kind, payload::text AS Payload FROM ledger WHERE centre_id = @centreId ORDER BY seq",
            new { centreId });
        return rows.AsList();
    }

    public async Task<int> CountLedgerAsync(string centreId, string kind)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM ledger WHERE centre_id = @centreId AND kind = @kind", new { centreId, kind });
    }

    /// <summary>A centre in the directory whose only ledger fact is not JSON, as a damaged row would be.</summary>
    public async Task AddUnreadableCentreAsync(string centreId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.ExecuteAsync(
            """
            INSERT INTO centres (id, name, postcode, city, latitude, longitude, time_zone, vaccines, updated_at)
            VALUES (@centreId, 'Damaged', '75001', 'Paris', 48.86, 2.34, 'Europe/Paris', ARRAY['pfizer'], now());
            INSERT INTO ledger (centre_id, seq, kind, payload, recorded_at) VALUES (@centreId, 1, 'centre-configured', 'not json', now());
            """,
            new { centreId });
    }

    public async Task<int> CountCentresAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM centres");
    }

    /// <summary>When the centre decided its first and last fact of a kind (recorded_at is the decision time).</summary>
    public async Task<(DateTime First, DateTime Last, int Count)> LedgerSpanAsync(string centreId, string kind)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.QuerySingleAsync<(DateTime, DateTime, int)>(
            "SELECT min(recorded_at), max(recorded_at), count(*)::int FROM ledger WHERE centre_id = @centreId AND kind = @kind",
            new { centreId, kind });
    }

    public async Task<BookingRefEntry?> BookingRefAsync(string reference)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.QuerySingleOrDefaultAsync<BookingRefEntry>(
            "SELECT reference AS Reference, centre_id AS CentreId, identity_key AS IdentityKey FROM booking_refs WHERE reference = @reference",
            new { reference });
    }

    public async Task<IReadOnlyList<BookingRefEntry>> BookingRefsAsync(string centreId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<BookingRefEntry>(
            "SELECT reference AS Reference, centre_id AS CentreId, identity_key AS IdentityKey FROM booking_refs WHERE centre_id = @centreId",
            new { centreId });
        return rows.AsList();
    }

    /// <summary>Active bookings (I4 index) held at one centre.</summary>
    public async Task<IReadOnlyList<CitizenBookingEntry>> CitizenBookingsAtAsync(string centreId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<CitizenBookingEntry>(
            "SELECT identity_key AS IdentityKey, reference AS Reference, centre_id AS CentreId FROM citizen_bookings WHERE centre_id = @centreId",
            new { centreId });
        return rows.AsList();
    }

    /// <summary>Active bookings of one identity, wherever they are.</summary>
    public async Task<IReadOnlyList<CitizenBookingEntry>> CitizenBookingsOfAsync(string identityKey)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<CitizenBookingEntry>(
            "SELECT identity_key AS IdentityKey, reference AS Reference, centre_id AS CentreId FROM citizen_bookings WHERE identity_key = @identityKey",
            new { identityKey });
        return rows.AsList();
    }

    public async Task<IReadOnlyList<IdempotencyEntry>> IdempotencyAsync(string key)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<IdempotencyEntry>(
            "SELECT scope AS Scope, key AS Key, request_hash AS RequestHash, status_code AS StatusCode, response AS Response FROM idempotency WHERE key = @key",
            new { key });
        return rows.AsList();
    }
}
