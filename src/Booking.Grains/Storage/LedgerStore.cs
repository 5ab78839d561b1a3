using Dapper;
using Npgsql;

namespace Booking.Grains.Storage;

/// <summary>Reads what the writer committed: a centre's facts for its rebuild, and the small indexes.</summary>
public sealed class LedgerStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly BatchedLookup<string, ActiveBooking> _activeBookings;
    private readonly BatchedLookup<(string Scope, string Key), StoredAnswer> _answers;

    public LedgerStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _activeBookings = new BatchedLookup<string, ActiveBooking>(ReadActiveBookingsAsync);
        _answers = new BatchedLookup<(string, string), StoredAnswer>(ReadAnswersAsync);
    }

    /// <summary>
    /// What a centre is rebuilt from, in one round trip and one view of the tables: its latest
    /// snapshot in <paramref name="snapshotFormat"/>, if it has one, and the facts after it (all
    /// its facts without one), in order, each as its UTF-8 JSON.
    /// </summary>
    public async Task<CentreHistory> ReadCentreAsync(string centreId, int snapshotFormat)
    {
        // As UTF-8 bytes (in a UTF-8 database, as ours are, the stored text itself), which the JSON
        // reader takes without a UTF-16 string in between. The snapshot's row comes first: its seq
        // is below every fact it is read with.
        await using var command = _dataSource.CreateCommand(
            """
            WITH snapshot AS (SELECT seq, payload FROM centre_snapshots WHERE centre_id = $1 AND format = $2)
            SELECT seq, true, payload FROM snapshot
            UNION ALL
            SELECT seq, false, convert_to(payload, 'UTF8') FROM ledger
            WHERE centre_id = $1 AND seq > coalesce((SELECT seq FROM snapshot), 0)
            ORDER BY 1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = centreId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = snapshotFormat });
        await using var reader = await command.ExecuteReaderAsync();
        StoredSnapshot? snapshot = null;
        var facts = new List<(long, byte[])>();
        while (await reader.ReadAsync())
        {
            if (reader.GetBoolean(1))
            {
                snapshot = new StoredSnapshot(reader.GetInt64(0), reader.GetFieldValue<byte[]>(2));
            }
            else
            {
                facts.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(2)));
            }
        }
        return new CentreHistory(snapshot, facts);
    }

    /// <summary>Every fact of the centre, in order, each as its UTF-8 JSON: for a centre whose snapshot could not be read.</summary>
    public async Task<IReadOnlyList<(long Seq, byte[] Payload)>> ReadFactsAsync(string centreId) =>
        (await ReadCentreAsync(centreId, NoSnapshotFormat)).Facts;

    /// <summary>A snapshot format no snapshot is stored in: asked for it, <see cref="ReadCentreAsync"/> reads every fact.</summary>
    private const int NoSnapshotFormat = -1;

    /// <summary>Keeps the snapshot unless the centre already has one of a later row.</summary>
    public async Task SaveSnapshotAsync(string centreId, long seq, int format, ReadOnlyMemory<byte> payload, DateTimeOffset takenAt)
    {
        await using var command = _dataSource.CreateCommand(
            """
            INSERT INTO centre_snapshots (centre_id, seq, format, payload, taken_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (centre_id) DO UPDATE SET seq = excluded.seq, format = excluded.format, payload = excluded.payload, taken_at = excluded.taken_at
            WHERE centre_snapshots.seq < excluded.seq
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = centreId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = format });
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = payload, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = takenAt });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The reference and centre of the identity's active booking, if any.</summary>
    public async Task<(string Reference, string CentreId)?> ActiveBookingAsync(string identityKey) =>
        await _activeBookings.FindAsync(identityKey) is { } found ? (found.Reference, found.CentreId) : null;

    /// <summary>The identities with an active booking that a citizen shard owns, and those whose
    /// owner was not recorded (every shard reads those).</summary>
    public async Task<IReadOnlyList<string>> ClaimedIdentitiesAsync(long shard, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT identity_key FROM citizen_bookings WHERE shard = @shard OR shard IS NULL",
            new { shard = (short)shard }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>The Idempotency-Keys with a stored answer that an idempotency shard owns, and those
    /// whose owner was not recorded.</summary>
    public async Task<IReadOnlyList<(string Scope, string Key)>> StoredIdempotencyKeysAsync(long shard, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, string)>(new CommandDefinition(
            "SELECT scope, key FROM idempotency WHERE shard = @shard OR shard IS NULL",
            new { shard = (short)shard }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>The centre and identity hash behind a booking reference.</summary>
    public async Task<(string CentreId, string IdentityKey)?> FindReferenceAsync(string reference)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, string)>(
            "SELECT centre_id, identity_key FROM booking_refs WHERE reference = @reference", new { reference });
        return rows.Select(r => ((string, string)?)r).SingleOrDefault();
    }

    /// <summary>The stored answer to an earlier write with this Idempotency-Key.</summary>
    public async Task<(string RequestHash, int StatusCode, string Response)?> FindIdempotencyAsync(string scope, string key) =>
        await _answers.FindAsync((scope, key)) is { } found ? (found.RequestHash, found.StatusCode, found.Response) : null;

    private async Task<IReadOnlyDictionary<string, ActiveBooking>> ReadActiveBookingsAsync(IReadOnlyList<string> identityKeys)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string IdentityKey, string Reference, string CentreId)>(
            "SELECT identity_key, reference, centre_id FROM citizen_bookings WHERE identity_key = ANY(@identityKeys)",
            new { identityKeys = identityKeys.ToArray() });
        return rows.ToDictionary(r => r.IdentityKey, r => new ActiveBooking(r.Reference, r.CentreId));
    }

    private async Task<IReadOnlyDictionary<(string, string), StoredAnswer>> ReadAnswersAsync(IReadOnlyList<(string Scope, string Key)> keys)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string Scope, string Key, string RequestHash, int StatusCode, string Response)>(
            """
            SELECT i.scope, i.key, i.request_hash, i.status_code, i.response
            FROM idempotency i JOIN unnest(@scopes::text[], @keys::text[]) AS k(scope, key) ON i.scope = k.scope AND i.key = k.key
            """,
            new { scopes = keys.Select(k => k.Scope).ToArray(), keys = keys.Select(k => k.Key).ToArray() });
        return rows.ToDictionary(r => (r.Scope, r.Key), r => new StoredAnswer(r.RequestHash, r.StatusCode, r.Response));
    }

    private sealed record ActiveBooking(string Reference, string CentreId);

    private sealed record StoredAnswer(string RequestHash, int StatusCode, string Response);
}

/// <summary>A centre's state as of ledger row <see cref="Seq"/>, in the snapshot layout it was asked for.</summary>
public sealed record StoredSnapshot(long Seq, byte[] Payload);

/// <summary>A centre's latest snapshot (null without one) and the facts after it.</summary>
public sealed record CentreHistory(StoredSnapshot? Snapshot, IReadOnlyList<(long Seq, byte[] Payload)> Facts);
