using Dapper;
using Npgsql;

namespace Booking.Grains.Storage;

/// <summary>Reads what the writer committed: a centre's facts for its rebuild, and the small indexes.</summary>
public sealed class LedgerStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<(long Seq, string Payload)>> ReadCentreAsync(string centreId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(long, string)>(
            "SELECT seq, payload::text FROM ledger WHERE centre_id = @centreId ORDER BY seq", new { centreId });
        return rows.AsList();
    }

    /// <summary>The reference and centre of the identity's active booking, if any.</summary>
    public async Task<(string Reference, string CentreId)?> ActiveBookingAsync(string identityKey)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, string)>(
            "SELECT reference, centre_id FROM citizen_bookings WHERE identity_key = @identityKey", new { identityKey });
        return rows.Select(r => ((string, string)?)r).SingleOrDefault();
    }

    /// <summary>The centre and identity hash behind a booking reference.</summary>
    public async Task<(string CentreId, string IdentityKey)?> FindReferenceAsync(string reference)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, string)>(
            "SELECT centre_id, identity_key FROM booking_refs WHERE reference = @reference", new { reference });
        return rows.Select(r => ((string, string)?)r).SingleOrDefault();
    }

    /// <summary>The stored answer to an earlier write with this Idempotency-Key.</summary>
    public async Task<(string RequestHash, int StatusCode, string Response)?> FindIdempotencyAsync(string scope, string key)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, int, string)>(
            "SELECT request_hash, status_code, response FROM idempotency WHERE scope = @scope AND key = @key",
            new { scope, key });
        return rows.Select(r => ((string, int, string)?)r).SingleOrDefault();
    }
}
