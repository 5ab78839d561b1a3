using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Booking.Grains.Storage;

/// <summary>
/// The silo's single group-commit writer. Decisions from every centre queue here; the loop takes
/// everything waiting, writes it with one statement, and completes the callers. While a batch is
/// in flight the next one accumulates, so the batch grows with the load and no timer is needed.
/// </summary>
public sealed partial class LedgerWriter(NpgsqlDataSource dataSource, ILogger<LedgerWriter> logger)
    : BackgroundService, ILedgerWriter
{
    private const int MaxBatch = 4096;

    // One statement: data-modifying CTEs run in the same transaction as the outer INSERT.
    private const string Sql = """
        WITH ledger_rows AS (
            INSERT INTO ledger (centre_id, seq, kind, payload, recorded_at)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::timestamptz[])
        ), reference_rows AS (
            INSERT INTO booking_refs (reference, centre_id, identity_key, created_at)
            SELECT * FROM unnest($6::text[], $7::text[], $8::text[], $9::timestamptz[])
        ), claims AS (
            INSERT INTO citizen_bookings (identity_key, reference, centre_id)
            SELECT * FROM unnest($10::text[], $11::text[], $12::text[])
        ), releases AS (
            DELETE FROM citizen_bookings c
            USING unnest($13::text[], $14::text[]) AS r(identity_key, reference)
            WHERE c.identity_key = r.identity_key AND c.reference = r.reference
        ), directory AS (
            INSERT INTO centres (id, name, address, postcode, city, latitude, longitude, time_zone, vaccines, updated_at)
            SELECT id, name, address, postcode, city, latitude, longitude, time_zone, string_to_array(vaccines, ','), updated_at
            FROM unnest($15::text[], $16::text[], $34::text[], $17::text[], $18::text[], $19::float8[], $20::float8[], $21::text[], $22::text[], $23::timestamptz[])
                AS d(id, name, address, postcode, city, latitude, longitude, time_zone, vaccines, updated_at)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, postcode = excluded.postcode, city = excluded.city,
                latitude = excluded.latitude, longitude = excluded.longitude, time_zone = excluded.time_zone,
                vaccines = excluded.vaccines, updated_at = excluded.updated_at
        ), availability_rows AS (
            INSERT INTO availability (centre_id, vaccine, days, updated_at)
            SELECT * FROM unnest($30::text[], $31::text[], $32::jsonb[], $33::timestamptz[])
            ON CONFLICT (centre_id, vaccine) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at
        )
        INSERT INTO idempotency (scope, key, request_hash, status_code, response, created_at)
        SELECT * FROM unnest($24::text[], $25::text[], $26::text[], $27::int[], $28::text[], $29::timestamptz[])
        ON CONFLICT (scope, key) DO NOTHING
        """;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    // Activations whose batch failed: their later decisions may stand on it, so they fail too.
    // Only the writer loop reads or writes this set.
    private readonly HashSet<Guid> _failedWriters = [];

    public Task AppendAsync(LedgerAppend append)
    {
        var pending = new Pending(append);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new LedgerCommitFailedException("The ledger writer has stopped.");
        }
        return pending.Completion.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking new decisions, but commit the ones already queued.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                if (_failedWriters.Contains(pending.Append.Writer))
                {
                    pending.Completion.TrySetException(new LedgerCommitFailedException("An earlier batch of this centre failed."));
                }
                else
                {
                    batch.Add(pending);
                }
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await WriteAsync(batch);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogBatchFailed(batch.Count, ex);
                var failure = new LedgerCommitFailedException("The ledger batch did not commit.", ex);
                foreach (var pending in batch)
                {
                    _failedWriters.Add(pending.Append.Writer);
                    pending.Completion.TrySetException(failure);
                }
            }
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        var appends = batch.Select(p => p.Append).ToList();
        var ledger = appends.Where(a => a.Ledger is not null).Select(a => a.Ledger!).ToList();
        var references = appends.Where(a => a.Reference is not null).Select(a => a.Reference!).ToList();
        var claims = appends.Where(a => a.CitizenClaim is not null).Select(a => a.CitizenClaim!).ToList();
        var releases = appends.SelectMany(a => a.CitizenReleases).ToList();
        // A centre configured twice in one batch: only its last definition goes to the directory.
        var directory = appends.Where(a => a.Directory is not null).Select(a => a.Directory!)
            .GroupBy(d => d.Id).Select(g => g.Last()).ToList();
        var availability = appends.SelectMany(a => a.Availability)
            .GroupBy(r => (r.CentreId, r.Vaccine)).Select(g => g.Last()).ToList();
        var idempotency = appends.Where(a => a.Idempotency is not null).Select(a => a.Idempotency!)
            .GroupBy(i => (i.Scope, i.Key)).Select(g => g.First()).ToList();

        await using var command = dataSource.CreateCommand(Sql);
        var p = command.Parameters;
        p.Add(Text(ledger.Select(r => r.CentreId)));
        p.Add(new NpgsqlParameter<long[]> { TypedValue = ledger.Select(r => r.Seq).ToArray() });
        p.Add(Text(ledger.Select(r => r.Kind)));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = ledger.Select(r => r.Payload).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(Times(ledger.Select(r => r.RecordedAt)));
        p.Add(Text(references.Select(r => r.Reference)));
        p.Add(Text(references.Select(r => r.CentreId)));
        p.Add(Text(references.Select(r => r.IdentityKey)));
        p.Add(Times(references.Select(r => r.CreatedAt)));
        p.Add(Text(claims.Select(r => r.IdentityKey)));
        p.Add(Text(claims.Select(r => r.Reference)));
        p.Add(Text(claims.Select(r => r.CentreId)));
        p.Add(Text(releases.Select(r => r.IdentityKey)));
        p.Add(Text(releases.Select(r => r.Reference)));
        p.Add(Text(directory.Select(d => d.Id)));
        p.Add(Text(directory.Select(d => d.Name)));
        p.Add(Text(directory.Select(d => d.Postcode)));
        p.Add(Text(directory.Select(d => d.City)));
        p.Add(new NpgsqlParameter<double[]> { TypedValue = directory.Select(d => d.Latitude).ToArray() });
        p.Add(new NpgsqlParameter<double[]> { TypedValue = directory.Select(d => d.Longitude).ToArray() });
        p.Add(Text(directory.Select(d => d.TimeZone)));
        p.Add(Text(directory.Select(d => string.Join(',', d.Vaccines))));
        p.Add(Times(directory.Select(d => d.UpdatedAt)));
        p.Add(Text(idempotency.Select(i => i.Scope)));
        p.Add(Text(idempotency.Select(i => i.Key)));
        p.Add(Text(idempotency.Select(i => i.RequestHash)));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = idempotency.Select(i => i.StatusCode).ToArray() });
        p.Add(Text(idempotency.Select(i => i.Response)));
        p.Add(Times(idempotency.Select(i => i.CreatedAt)));
        p.Add(Text(availability.Select(r => r.CentreId)));
        p.Add(Text(availability.Select(r => r.Vaccine)));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = availability.Select(r => r.Days).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(Times(availability.Select(r => r.UpdatedAt)));
        p.Add(Text(directory.Select(d => d.Address)));
        await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter<string[]> Text(IEnumerable<string> values) => new() { TypedValue = values.ToArray() };

    private static NpgsqlParameter<DateTime[]> Times(IEnumerable<DateTimeOffset> values) =>
        new() { TypedValue = values.Select(v => v.UtcDateTime).ToArray() };

    [LoggerMessage(Level = LogLevel.Error, Message = "A ledger batch of {Count} decisions did not commit")]
    private partial void LogBatchFailed(int count, Exception exception);

    private sealed class Pending(LedgerAppend append)
    {
        public LedgerAppend Append { get; } = append;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
