using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Booking.Abstractions;
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
public sealed partial class LedgerWriter : BackgroundService, ILedgerWriter
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

    private readonly BatchRows _rows = new();

    // One command per combination of parts, kept with its parameters: a batch only gives them new
    // values. At a few decisions per batch, new parameter objects for every batch were a tenth of
    // what a booking allocated. Only the writer loop uses them, one batch at a time.
    private readonly Dictionary<int, NpgsqlCommand> _commands = [];

    // Decisions queued and not yet taken: a single-reader channel cannot count them itself.
    private int _waiting;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<LedgerWriter> _logger;
    private readonly LedgerMetrics _metrics;

    public LedgerWriter(NpgsqlDataSource dataSource, IMeterFactory meters, ILogger<LedgerWriter> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _metrics = new LedgerMetrics(meters, () => Volatile.Read(ref _waiting));
    }

    public Task AppendAsync(LedgerAppend append)
    {
        var pending = new Pending(append);
        // Counted before it is queued, so that the loop never takes it away before it was counted.
        Interlocked.Increment(ref _waiting);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _waiting);
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
            var taken = 0;
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                taken++;
                if (_failedWriters.Contains(pending.Append.Writer))
                {
                    pending.Completion.TrySetException(new LedgerCommitFailedException("An earlier batch of this centre failed."));
                }
                else
                {
                    batch.Add(pending);
                }
            }
            Interlocked.Add(ref _waiting, -taken);
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                var started = Stopwatch.GetTimestamp();
                await WriteAsync(batch);
                _metrics.Committed(batch.Count, Stopwatch.GetElapsedTime(started));
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogBatchFailed(batch.Count, ex);
                _metrics.Failed();
                var failure = new LedgerCommitFailedException("The ledger batch did not commit.", ex);
                foreach (var pending in batch)
                {
                    _failedWriters.Add(pending.Append.Writer);
                    pending.Completion.TrySetException(failure);
                }
            }
        }
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        _rows.Clear();
        foreach (var pending in batch)
        {
            _rows.Add(pending.Append);
        }
        if (_rows.Parts == 0)
        {
            return;
        }
        if (!_commands.TryGetValue(_rows.Parts, out var command))
        {
            command = _dataSource.CreateCommand(StatementFor(_rows.Parts));
            _commands[_rows.Parts] = command;
        }
        _rows.Bind(command.Parameters);
        try
        {
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            // Between batches a kept command holds no rows.
            foreach (NpgsqlParameter parameter in command.Parameters)
            {
                parameter.Value = null;
            }
        }
    }

    private static readonly string[] PartTemplates =
        [LedgerPart, ReferencesPart, ClaimsPart, ReleasesPart, DirectoryPart, AvailabilityPart, IdempotencyPart, SmsPart];

    /// <summary>The statement for a combination of parts: the same text each time, which is also what
    /// lets each connection reuse its prepared statement for it.</summary>
    private static string StatementFor(int parts)
    {
        var texts = new List<string>();
        var next = 1;
        for (var part = 0; part < PartTemplates.Length; part++)
        {
            if ((parts & (1 << part)) == 0)
            {
                continue;
            }
            // A part takes one parameter per placeholder {0}, {1}, … in its template.
            var count = Regex.Count(PartTemplates[part], @"\{\d+\}");
            var positions = Enumerable.Range(next, count).Select(n => (object)("$" + n)).ToArray();
            texts.Add(string.Format(CultureInfo.InvariantCulture, PartTemplates[part], positions));
            next += count;
        }
        // Every part but the last is a data-modifying CTE, which PostgreSQL runs in the same
        // transaction as the last: the whole batch commits or nothing does.
        var statement = texts.Count == 1
            ? texts[0]
            : "WITH " + string.Join(",\n", texts.SkipLast(1).Select((text, i) => $"part{i} AS (\n{text}\n)")) + "\n" + texts[^1];
        return statement;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A ledger batch of {Count} decisions did not commit")]
    private partial void LogBatchFailed(int count, Exception exception);

    /// <summary>The rows of one batch, gathered column by column in one pass over its decisions.
    /// Only the writer loop uses it, one batch at a time.</summary>
    private sealed class BatchRows
    {
        private readonly List<LedgerRow> _ledger = [];
        private readonly List<BookingReferenceRow> _references = [];
        private readonly List<CitizenBookingRow> _claims = [];
        private readonly List<CitizenBookingRow> _releases = [];
        private readonly Dictionary<string, CentreDirectoryRow> _directory = [];
        private readonly Dictionary<(string CentreId, string Vaccine), AvailabilityRow> _availability = [];
        private readonly Dictionary<(string Scope, string Key), IdempotencyRow> _idempotency = [];
        private readonly List<SmsOutboxRow> _sms = [];

        /// <summary>Which parts have rows, one bit each, in the order of <see cref="PartTemplates"/>.</summary>
        public int Parts =>
            (_ledger.Count > 0 ? 1 : 0) | (_references.Count > 0 ? 2 : 0) | (_claims.Count > 0 ? 4 : 0) | (_releases.Count > 0 ? 8 : 0)
            | (_directory.Count > 0 ? 16 : 0) | (_availability.Count > 0 ? 32 : 0) | (_idempotency.Count > 0 ? 64 : 0) | (_sms.Count > 0 ? 128 : 0);

        public void Clear()
        {
            _ledger.Clear();
            _references.Clear();
            _claims.Clear();
            _releases.Clear();
            _directory.Clear();
            _availability.Clear();
            _idempotency.Clear();
            _sms.Clear();
        }

        public void Add(LedgerAppend append)
        {
            if (append.Ledger is { } ledger)
            {
                _ledger.Add(ledger);
            }
            if (append.Reference is { } reference)
            {
                _references.Add(reference);
            }
            if (append.CitizenClaim is { } claim)
            {
                _claims.Add(claim);
            }
            _releases.AddRange(append.CitizenReleases);
            // A centre configured twice in one batch: only its last definition goes to the directory,
            // and likewise its last availability; an Idempotency-Key keeps its first answer.
            if (append.Directory is { } directory)
            {
                _directory[directory.Id] = directory;
            }
            foreach (var row in append.Availability)
            {
                _availability[(row.CentreId, row.Vaccine)] = row;
            }
            if (append.Idempotency is { } idempotency)
            {
                _idempotency.TryAdd((idempotency.Scope, idempotency.Key), idempotency);
            }
            _sms.AddRange(append.Sms);
        }

        /// <summary>The parameters of <see cref="StatementFor"/>(<see cref="Parts"/>), in its order: those
        /// of a kept command are given new values, a new command's are made.</summary>
        public void Bind(NpgsqlParameterCollection parameters)
        {
            var n = 0;
            if (_ledger.Count > 0)
            {
                Put(parameters, ref n, Column(_ledger, r => r.CentreId));
                Put(parameters, ref n, Column(_ledger, r => r.Seq));
                Put(parameters, ref n, Column(_ledger, r => r.Kind));
                Put(parameters, ref n, Column(_ledger, r => r.Payload), NpgsqlDbType.Array | NpgsqlDbType.Text);
                Put(parameters, ref n, Column(_ledger, r => r.RecordedAt.UtcDateTime));
            }
            if (_references.Count > 0)
            {
                Put(parameters, ref n, Column(_references, r => r.Reference));
                Put(parameters, ref n, Column(_references, r => r.CentreId));
                Put(parameters, ref n, Column(_references, r => r.IdentityKey));
                Put(parameters, ref n, Column(_references, r => r.CreatedAt.UtcDateTime));
            }
            if (_claims.Count > 0)
            {
                Put(parameters, ref n, Column(_claims, r => r.IdentityKey));
                Put(parameters, ref n, Column(_claims, r => r.Reference));
                Put(parameters, ref n, Column(_claims, r => r.CentreId));
                // The shard grain that owns each key reads it back when it activates.
                Put(parameters, ref n, Column(_claims, r => (short)Shards.Of(r.IdentityKey)));
            }
            if (_releases.Count > 0)
            {
                Put(parameters, ref n, Column(_releases, r => r.IdentityKey));
                Put(parameters, ref n, Column(_releases, r => r.Reference));
            }
            if (_directory.Count > 0)
            {
                var directory = _directory.Values.ToList();
                Put(parameters, ref n, Column(directory, d => d.Id));
                Put(parameters, ref n, Column(directory, d => d.Name));
                Put(parameters, ref n, Column(directory, d => d.Address));
                Put(parameters, ref n, Column(directory, d => d.Postcode));
                Put(parameters, ref n, Column(directory, d => d.City));
                Put(parameters, ref n, Column(directory, d => d.Latitude));
                Put(parameters, ref n, Column(directory, d => d.Longitude));
                Put(parameters, ref n, Column(directory, d => d.TimeZone));
                Put(parameters, ref n, Column(directory, d => string.Join(',', d.Vaccines)));
                Put(parameters, ref n, Column(directory, d => d.UpdatedAt.UtcDateTime));
            }
            if (_availability.Count > 0)
            {
                var availability = _availability.Values.ToList();
                Put(parameters, ref n, Column(availability, r => r.CentreId));
                Put(parameters, ref n, Column(availability, r => r.Vaccine));
                Put(parameters, ref n, Column(availability, r => r.Days), NpgsqlDbType.Array | NpgsqlDbType.Text);
                Put(parameters, ref n, Column(availability, r => r.UpdatedAt.UtcDateTime));
            }
            if (_idempotency.Count > 0)
            {
                var idempotency = _idempotency.Values.ToList();
                Put(parameters, ref n, Column(idempotency, i => i.Scope));
                Put(parameters, ref n, Column(idempotency, i => i.Key));
                Put(parameters, ref n, Column(idempotency, i => i.RequestHash));
                Put(parameters, ref n, Column(idempotency, i => i.StatusCode));
                Put(parameters, ref n, Column(idempotency, i => i.Response), NpgsqlDbType.Array | NpgsqlDbType.Text);
                Put(parameters, ref n, Column(idempotency, i => i.CreatedAt.UtcDateTime));
                Put(parameters, ref n, Column(idempotency, i => (short)Shards.Of(Shards.IdempotencyKey(i.Scope, i.Key))));
            }
            if (_sms.Count > 0)
            {
                Put(parameters, ref n, Column(_sms, m => m.CentreId));
                Put(parameters, ref n, Column(_sms, m => m.Reference));
                Put(parameters, ref n, Column(_sms, m => m.Template));
                Put(parameters, ref n, Column(_sms, m => m.Recipient));
                Put(parameters, ref n, Column(_sms, m => m.Text));
                Put(parameters, ref n, Column(_sms, m => (short)m.Segments));
                Put(parameters, ref n, Column(_sms, m => m.CreatedAt.UtcDateTime));
            }
        }

        private static T[] Column<TRow, T>(List<TRow> rows, Func<TRow, T> value)
        {
            var column = new T[rows.Count];
            for (var i = 0; i < column.Length; i++)
            {
                column[i] = value(rows[i]);
            }
            return column;
        }

        /// <param name="type">Given for UTF-8 documents, which go as text: PostgreSQL stores the same
        /// text, and no UTF-16 copy is made on the way.</param>
        private static void Put<T>(NpgsqlParameterCollection parameters, ref int n, T[] column, NpgsqlDbType? type = null)
        {
            if (n < parameters.Count)
            {
                ((NpgsqlParameter<T[]>)parameters[n]).TypedValue = column;
            }
            else
            {
                var parameter = new NpgsqlParameter<T[]> { TypedValue = column };
                if (type is { } t)
                {
                    parameter.NpgsqlDbType = t;
                }
                parameters.Add(parameter);
            }
            n++;
        }
    }

    private sealed class Pending(LedgerAppend append)
    {
        public LedgerAppend Append { get; } = append;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
