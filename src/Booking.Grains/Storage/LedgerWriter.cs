using System.Globalization;
using System.Threading.Channels;
using Booking.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

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

    // The parts of the batch statement, each written only when the batch has rows for it: a
    // booking batch needs five of the eight, and PostgreSQL parses and plans every part it is sent
    // (at a few bookings per batch, parsing and planning the whole statement was about 40 % of its CPU).
    private const string LedgerPart =
        "INSERT INTO ledger (centre_id, seq, kind, payload, recorded_at) SELECT * FROM unnest({0}::text[], {1}::bigint[], {2}::text[], {3}::text[], {4}::timestamptz[])";
    private const string ReferencesPart =
        "INSERT INTO booking_refs (reference, centre_id, identity_key, created_at) SELECT * FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::timestamptz[])";
    private const string ClaimsPart =
        "INSERT INTO citizen_bookings (identity_key, reference, centre_id, shard) SELECT * FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::smallint[])";
    private const string ReleasesPart = """
        DELETE FROM citizen_bookings c
        USING unnest({0}::text[], {1}::text[]) AS r(identity_key, reference)
        WHERE c.identity_key = r.identity_key AND c.reference = r.reference
        """;
    private const string DirectoryPart = """
        INSERT INTO centres (id, name, address, postcode, city, latitude, longitude, time_zone, vaccines, updated_at)
        SELECT id, name, address, postcode, city, latitude, longitude, time_zone, string_to_array(vaccines, ','), updated_at
        FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::text[], {4}::text[], {5}::float8[], {6}::float8[], {7}::text[], {8}::text[], {9}::timestamptz[])
            AS d(id, name, address, postcode, city, latitude, longitude, time_zone, vaccines, updated_at)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, postcode = excluded.postcode, city = excluded.city,
            latitude = excluded.latitude, longitude = excluded.longitude, time_zone = excluded.time_zone,
            vaccines = excluded.vaccines, updated_at = excluded.updated_at
        """;
    private const string AvailabilityPart = """
        INSERT INTO availability (centre_id, vaccine, days, updated_at)
        SELECT * FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::timestamptz[])
        ON CONFLICT (centre_id, vaccine) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at
        """;
    private const string IdempotencyPart = """
        INSERT INTO idempotency (scope, key, request_hash, status_code, response, created_at, shard)
        SELECT * FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::int[], {4}::text[], {5}::timestamptz[], {6}::smallint[])
        ON CONFLICT (scope, key) DO NOTHING
        """;

    private const string SmsPart = """
        INSERT INTO sms_outbox (centre_id, reference, template, recipient, text, segments, created_at, next_attempt_at)
        SELECT c, r, t, rc, tx, sg, at, at FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::text[], {4}::text[], {5}::smallint[], {6}::timestamptz[])
            AS s(c, r, t, rc, tx, sg, at)
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
        var sms = appends.SelectMany(a => a.Sms).ToList();

        var statement = new BatchStatement();
        statement.Add(LedgerPart, ledger.Count,
            Text(ledger.Select(r => r.CentreId)),
            new NpgsqlParameter<long[]> { TypedValue = ledger.Select(r => r.Seq).ToArray() },
            Text(ledger.Select(r => r.Kind)),
            Text(ledger.Select(r => r.Payload)),
            Times(ledger.Select(r => r.RecordedAt)));
        statement.Add(ReferencesPart, references.Count,
            Text(references.Select(r => r.Reference)),
            Text(references.Select(r => r.CentreId)),
            Text(references.Select(r => r.IdentityKey)),
            Times(references.Select(r => r.CreatedAt)));
        statement.Add(ClaimsPart, claims.Count,
            Text(claims.Select(r => r.IdentityKey)),
            Text(claims.Select(r => r.Reference)),
            Text(claims.Select(r => r.CentreId)),
            ShardsOf(claims.Select(r => r.IdentityKey)));
        statement.Add(ReleasesPart, releases.Count,
            Text(releases.Select(r => r.IdentityKey)),
            Text(releases.Select(r => r.Reference)));
        statement.Add(DirectoryPart, directory.Count,
            Text(directory.Select(d => d.Id)),
            Text(directory.Select(d => d.Name)),
            Text(directory.Select(d => d.Address)),
            Text(directory.Select(d => d.Postcode)),
            Text(directory.Select(d => d.City)),
            new NpgsqlParameter<double[]> { TypedValue = directory.Select(d => d.Latitude).ToArray() },
            new NpgsqlParameter<double[]> { TypedValue = directory.Select(d => d.Longitude).ToArray() },
            Text(directory.Select(d => d.TimeZone)),
            Text(directory.Select(d => string.Join(',', d.Vaccines))),
            Times(directory.Select(d => d.UpdatedAt)));
        statement.Add(AvailabilityPart, availability.Count,
            Text(availability.Select(r => r.CentreId)),
            Text(availability.Select(r => r.Vaccine)),
            Text(availability.Select(r => r.Days)),
            Times(availability.Select(r => r.UpdatedAt)));
        statement.Add(IdempotencyPart, idempotency.Count,
            Text(idempotency.Select(i => i.Scope)),
            Text(idempotency.Select(i => i.Key)),
            Text(idempotency.Select(i => i.RequestHash)),
            new NpgsqlParameter<int[]> { TypedValue = idempotency.Select(i => i.StatusCode).ToArray() },
            Text(idempotency.Select(i => i.Response)),
            Times(idempotency.Select(i => i.CreatedAt)),
            ShardsOf(idempotency.Select(i => Shards.IdempotencyKey(i.Scope, i.Key))));
        statement.Add(SmsPart, sms.Count,
            Text(sms.Select(m => m.CentreId)),
            Text(sms.Select(m => m.Reference)),
            Text(sms.Select(m => m.Template)),
            Text(sms.Select(m => m.Recipient)),
            Text(sms.Select(m => m.Text)),
            new NpgsqlParameter<short[]> { TypedValue = sms.Select(m => (short)m.Segments).ToArray() },
            Times(sms.Select(m => m.CreatedAt)));
        if (statement.IsEmpty)
        {
            return;
        }
        await using var command = statement.ToCommand(dataSource);
        await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter<string[]> Text(IEnumerable<string> values) => new() { TypedValue = values.ToArray() };

    /// <summary>The shard grain that owns each key, which reads the key back when it activates.</summary>
    private static NpgsqlParameter<short[]> ShardsOf(IEnumerable<string> keys) => new() { TypedValue = keys.Select(k => (short)Shards.Of(k)).ToArray() };

    private static NpgsqlParameter<DateTime[]> Times(IEnumerable<DateTimeOffset> values) =>
        new() { TypedValue = values.Select(v => v.UtcDateTime).ToArray() };

    [LoggerMessage(Level = LogLevel.Error, Message = "A ledger batch of {Count} decisions did not commit")]
    private partial void LogBatchFailed(int count, Exception exception);

    /// <summary>One statement, so that the whole batch commits or nothing does: every part but the
    /// last is a data-modifying CTE, which PostgreSQL runs in the same transaction as the last.</summary>
    private sealed class BatchStatement
    {
        private readonly List<string> _parts = [];
        private readonly List<NpgsqlParameter> _parameters = [];

        public bool IsEmpty => _parts.Count == 0;

        /// <summary>Adds a part whose placeholders {0}, {1}, … stand for <paramref name="parameters"/> in
        /// order, unless it has no rows to write.</summary>
        public void Add(string part, int rows, params NpgsqlParameter[] parameters)
        {
            if (rows == 0)
            {
                return;
            }
            var positions = parameters.Select((_, i) => (object)("$" + (_parameters.Count + i + 1))).ToArray();
            _parts.Add(string.Format(CultureInfo.InvariantCulture, part, positions));
            _parameters.AddRange(parameters);
        }

        public NpgsqlCommand ToCommand(NpgsqlDataSource dataSource)
        {
            var sql = _parts.Count == 1
                ? _parts[0]
                : "WITH " + string.Join(",\n", _parts.SkipLast(1).Select((part, i) => $"part{i} AS (\n{part}\n)")) + "\n" + _parts[^1];
            var command = dataSource.CreateCommand(sql);
            command.Parameters.AddRange(_parameters.ToArray());
            return command;
        }
    }

    private sealed class Pending(LedgerAppend append)
    {
        public LedgerAppend Append { get; } = append;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
