using System.Collections.Concurrent;
using Booking.Grains.Centres;
using Booking.Grains.Domain;
using Booking.Grains.Notifications;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Booking.Baseline;

/// <summary>An answer: status, and either a body (JSON), a stored raw answer, or a problem.</summary>
public sealed record Outcome(int Status, object? Body = null, string? Raw = null, string? Problem = null, string? Detail = null,
    IDictionary<string, string[]>? Errors = null, string? Location = null, object? Extensions = null)
{
    public static Outcome Fail(int status, string problem, string detail) => new(status, Problem: problem, Detail: detail);

    public static Outcome Invalid(string field, string message) =>
        new(422, Problem: "validation", Detail: "The request has invalid fields", Errors: new Dictionary<string, string[]> { [field] = [message] });
}

public sealed record AppointmentOut(int Dose, string CentreId, DateTimeOffset Start);

public sealed record BookingOut(string Reference, string Status, string Vaccine, string CentreId, IReadOnlyList<AppointmentOut> Appointments);

public sealed record BookCommand(string CentreId, string Vaccine, DateTimeOffset First, DateTimeOffset? Second, string IdentityKey, string BirthCheck,
    string Phone, (string Scope, string Key, string Hash)? Idempotency);

/// <summary>A bookable first-dose slot as a listing shows it, in the centre's local time.</summary>
public sealed record ListedSlot(DateTimeOffset Start, int Remaining, SecondDoseWindow? SecondDose);

public sealed record SecondDoseWindow(DateTimeOffset Earliest, DateTimeOffset Latest);

/// <summary>A centre's next bookable first-dose slot, if any, and its bookable slots over 7 days.</summary>
public readonly record struct Outlook(DateTimeOffset? NextFirstDoseSlot, int FreeSlots7Days);

/// <summary>A centre's outlook for one vaccine as last read (from <see cref="ReadAt"/>), and its next read if one is under way.</summary>
internal sealed class KeptOutlook
{
    public Task<Outlook>? Current { get; set; }

    public long ReadAt { get; set; }

    public Task<Outlook>? Next { get; set; }
}

public sealed class CentreRow(CentreDef def, DateOnly stockOrigin, DateOnly slotsUntil)
{
    public CentreDef Def { get; } = def;
    public DateOnly StockOrigin { get; } = stockOrigin;
    public DateOnly SlotsUntil { get; } = slotsUntil;
}

/// <summary>
/// The conventional design: one transaction per booking. Every writer of a centre's stock of one
/// vaccine first locks that (centre, vaccine) row of <c>stock</c>, then reads the per-day rows and
/// changes them; seats are taken with conditional updates (<c>booked &lt; capacity</c>), in slot
/// time order (dose 1 before dose 2), so transactions cannot deadlock on slots. The stock check is
/// the cumulative one (every later day must stay covered), so any two bookings of the same centre
/// and vaccine conflict on their last days: the header lock serialises exactly those, with one lock
/// instead of one per day. Statements are batched to keep a booking to two round trips while it
/// holds that lock, and auto-prepared; the pool is capped at 16 connections (2 cores).
/// </summary>
public sealed class Store(NpgsqlDataSource db, ListingCache listings, ILogger<Store> logger, TimeProvider time)
{
    private static readonly DateTime[] NoSeats = [];

    private readonly ConcurrentDictionary<string, CentreRow> _centres = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string CentreId, string Vaccine), SemaphoreSlim> _bookingQueues = new();
    private readonly ConcurrentDictionary<(string CentreId, string Vaccine), KeptOutlook> _outlooks = new();
    // Searches may hold at most 4 of the 16 pooled connections, so that they never starve bookings.
    private readonly SemaphoreSlim _outlookReads = new(4);
    private readonly TimeSpan _queueTimeout = TimeSpan.FromSeconds(new NpgsqlConnectionStringBuilder(db.ConnectionString).Timeout);

    /// <summary>How old a centre's outlook may be in a search: the engine's read model is held to 5 s.</summary>
    public static readonly TimeSpan SearchMaxAge = TimeSpan.FromSeconds(5);

    /// <summary>From this age a kept outlook is read again in the background while it is still served.</summary>
    public static readonly TimeSpan SearchRefreshAfter = TimeSpan.FromSeconds(3);

    public CentreRow? Centre(string id) => _centres.GetValueOrDefault(id);

    public ICollection<CentreRow> Centres => _centres.Values;

    public async Task LoadCentresAsync()
    {
        await using var conn = await db.OpenConnectionAsync();
        var rows = await conn.QueryAsync<(string Id, string Definition, DateTime Origin, DateTime Until)>(
            "SELECT id, definition::text, stock_origin, slots_until FROM centres");
        foreach (var r in rows)
        {
            var def = JsonSerializer.Deserialize<CentreDef>(r.Definition, Json.Options)!;
            _centres[r.Id] = new CentreRow(def, DateOnly.FromDateTime(r.Origin), DateOnly.FromDateTime(r.Until));
        }
        logger.LogInformation("Loaded {Count} centres", _centres.Count);
    }

    // ------------------------------------------------------------------ centres and deliveries

    public async Task<Outcome> PutCentre(CentreDef def)
    {
        var zone = def.Zone;
        var today = Rules.LocalDate(DateTimeOffset.UtcNow, zone);
        var longest = def.Vaccines.Max(v => Rules.Catalogue[v].MaxIntervalDays);
        var until = today.AddDays(def.BookingHorizonDays + longest);
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var existing = await conn.QuerySingleOrDefaultAsync<DateTime?>("SELECT stock_origin FROM centres WHERE id = @id FOR UPDATE", new { id = def.Id }, tx);
        if (existing is not null)
        {
            // Every booking holds its (centre, vaccine) stock row until it commits: taking them all
            // first means the count below sees every booking that was in flight.
            await conn.ExecuteAsync("SELECT 1 FROM stock WHERE centre_id = @id ORDER BY vaccine FOR UPDATE", new { id = def.Id }, tx);
            var active = await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM bookings WHERE centre_id = @id AND status = 'confirmed'", new { id = def.Id }, tx);
            if (active > 0)
            {
                return Outcome.Invalid("centre", "This baseline only replaces a centre that holds no active booking.");
            }
            await conn.ExecuteAsync("DELETE FROM slots WHERE centre_id = @id; DELETE FROM stock_days WHERE centre_id = @id; DELETE FROM stock WHERE centre_id = @id;",
                new { id = def.Id }, tx);
        }
        var origin = existing is { } e ? DateOnly.FromDateTime(e) : today;
        await conn.ExecuteAsync("""
            INSERT INTO centres (id, name, time_zone, lines, slot_minutes, horizon_days, book_forecast, vaccines, definition, stock_origin, slots_until, updated_at)
            VALUES (@Id, @Name, @TimeZone, @Lines, @SlotMinutes, @BookingHorizonDays, @BookForecastDoses, @Vaccines, @Definition::jsonb, @Origin, @Until, now())
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, lines = excluded.lines,
                slot_minutes = excluded.slot_minutes, horizon_days = excluded.horizon_days, book_forecast = excluded.book_forecast,
                vaccines = excluded.vaccines, definition = excluded.definition, slots_until = excluded.slots_until, updated_at = now()
            """, new
        {
            def.Id, def.Name, def.TimeZone, def.Lines, def.SlotMinutes, def.BookingHorizonDays, def.BookForecastDoses,
            Vaccines = def.Vaccines.ToArray(), Definition = JsonSerializer.Serialize(def, Json.Options),
            Origin = origin.ToDateTime(TimeOnly.MinValue), Until = until.ToDateTime(TimeOnly.MinValue),
        }, tx);
        var starts = new List<DateTime>();
        var days = new List<DateTime>();
        var minutes = new List<int>();
        for (var d = today; d <= until; d = d.AddDays(1))
        {
            foreach (var (start, minute) in Rules.SlotsOn(d, def, zone))
            {
                starts.Add(start.UtcDateTime);
                days.Add(d.ToDateTime(TimeOnly.MinValue));
                minutes.Add(minute);
            }
        }
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO slots (centre_id, start_utc, local_day, local_minute, capacity)
            SELECT $1, s, d, m, $5 FROM unnest($2::timestamptz[], $3::date[], $4::int[]) AS u(s, d, m)
            """, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = def.Id });
            cmd.Parameters.Add(new NpgsqlParameter { Value = starts.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter { Value = days.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
            cmd.Parameters.Add(new NpgsqlParameter { Value = minutes.ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter { Value = def.Lines });
            await cmd.ExecuteNonQueryAsync();
        }
        foreach (var vaccine in def.Vaccines)
        {
            await conn.ExecuteAsync("""
                INSERT INTO stock (centre_id, vaccine) VALUES (@id, @vaccine) ON CONFLICT DO NOTHING;
                INSERT INTO stock_days (centre_id, vaccine, day)
                SELECT @id, @vaccine, d::date FROM generate_series(@origin::date, @until::date, interval '1 day') AS d
                ON CONFLICT DO NOTHING;
                """, new { id = def.Id, vaccine, origin = origin.ToDateTime(TimeOnly.MinValue), until = until.ToDateTime(TimeOnly.MinValue) }, tx);
            // Deliveries recorded before a replacement count again.
            await conn.ExecuteAsync("""
                UPDATE stock_days s SET delivered = x.doses
                FROM (SELECT greatest(day, @origin::date) AS day, sum(doses)::int AS doses FROM deliveries
                      WHERE centre_id = @id AND vaccine = @vaccine AND (status = 'confirmed' OR @forecast) GROUP BY 1) x
                WHERE s.centre_id = @id AND s.vaccine = @vaccine AND s.day = x.day
                """, new { id = def.Id, vaccine, origin = origin.ToDateTime(TimeOnly.MinValue), forecast = def.BookForecastDoses }, tx);
        }
        await tx.CommitAsync();
        _centres[def.Id] = new CentreRow(def, origin, until);
        return new Outcome(existing is null ? 201 : 200, Body: def, Location: $"/api/v1/manage/centres/{def.Id}");
    }

    public async Task<Outcome> AddDelivery(CentreRow c, string vaccine, DateOnly date, int doses, string status)
    {
        var id = Rules.NewDeliveryId();
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await conn.ExecuteAsync("""
            INSERT INTO stock (centre_id, vaccine) VALUES (@c, @vaccine) ON CONFLICT DO NOTHING;
            SELECT 1 FROM stock WHERE centre_id = @c AND vaccine = @vaccine FOR UPDATE;
            INSERT INTO deliveries (id, centre_id, vaccine, day, doses, status, created_at) VALUES (@id, @c, @vaccine, @day, @doses, @status, now());
            """, new { c = c.Def.Id, vaccine, id, day = date.ToDateTime(TimeOnly.MinValue), doses, status }, tx);
        if (status == "confirmed" || c.Def.BookForecastDoses)
        {
            await AddDelivered(conn, tx, c, vaccine, date, doses);
        }
        await tx.CommitAsync();
        return new Outcome(201, Body: new { deliveryId = id, vaccine, date, doses, status }, Location: $"/api/v1/manage/centres/{c.Def.Id}/deliveries/{id}");
    }

    private static Task AddDelivered(NpgsqlConnection conn, NpgsqlTransaction tx, CentreRow c, string vaccine, DateOnly date, int doses) =>
        conn.ExecuteAsync("""
            INSERT INTO stock_days (centre_id, vaccine, day, delivered) VALUES (@c, @vaccine, @day, @doses)
            ON CONFLICT (centre_id, vaccine, day) DO UPDATE SET delivered = stock_days.delivered + excluded.delivered
            """, new { c = c.Def.Id, vaccine, day = (date < c.StockOrigin ? c.StockOrigin : date).ToDateTime(TimeOnly.MinValue), doses }, tx);

    /// <summary>
    /// A delivery changes. If the stock still covers every appointment it applies; otherwise the plan
    /// keeps appointments already given, then second doses of people who had their first, then
    /// bookings in booking order, and postpones whole the bookings that no longer fit; it is applied
    /// only with <paramref name="apply"/>.
    /// </summary>
    public async Task<Outcome> ChangeDelivery(CentreRow c, string deliveryId, DateOnly? date, int? doses, string? status, bool apply)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ChangeDeliveryOnce(c, deliveryId, date, doses, status, apply);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 3)
            {
            }
        }
    }

    private async Task<Outcome> ChangeDeliveryOnce(CentreRow c, string deliveryId, DateOnly? date, int? doses, string? status, bool apply)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var old = await conn.QuerySingleOrDefaultAsync<(string Vaccine, DateTime Day, int Doses, string Status)?>(
            "SELECT vaccine, day, doses, status FROM deliveries WHERE id = @deliveryId AND centre_id = @c",
            new { deliveryId, c = c.Def.Id }, tx);
        if (old is not { } o)
        {
            return Outcome.Fail(404, "delivery-not-found", "No such delivery.");
        }
        await conn.ExecuteAsync("SELECT 1 FROM stock WHERE centre_id = @c AND vaccine = @v FOR UPDATE", new { c = c.Def.Id, v = o.Vaccine }, tx);
        // Re-read under the lock.
        o = await conn.QuerySingleAsync<(string Vaccine, DateTime Day, int Doses, string Status)>(
            "SELECT vaccine, day, doses, status FROM deliveries WHERE id = @deliveryId", new { deliveryId }, tx);
        var newDay = date ?? DateOnly.FromDateTime(o.Day);
        var newDoses = doses ?? o.Doses;
        var newStatus = status ?? o.Status;
        bool Usable(string s) => s == "confirmed" || c.Def.BookForecastDoses;
        DateOnly Clamp(DateOnly d) => d < c.StockOrigin ? c.StockOrigin : d;
        var rows = (await conn.QueryAsync<(DateTime Day, int Delivered, int Booked)>(
            "SELECT day, delivered, booked FROM stock_days WHERE centre_id = @c AND vaccine = @v ORDER BY day", new { c = c.Def.Id, v = o.Vaccine }, tx))
            .Select(r => (Day: DateOnly.FromDateTime(r.Day), r.Delivered, r.Booked)).ToList();
        var deliveredChange = new Dictionary<DateOnly, int>();
        if (Usable(o.Status))
        {
            deliveredChange[Clamp(DateOnly.FromDateTime(o.Day))] = -o.Doses;
        }
        if (Usable(newStatus))
        {
            deliveredChange[Clamp(newDay)] = deliveredChange.GetValueOrDefault(Clamp(newDay)) + newDoses;
        }
        var delivered = rows.Select(r => (r.Day, r.Delivered + deliveredChange.GetValueOrDefault(r.Day), 0)).ToList();
        foreach (var (d, n) in deliveredChange.Where(p => rows.All(r => r.Day != p.Key)))
        {
            delivered.Add((d, n, 0));
        }

        // Plan: replay the active bookings in priority order against the new deliveries.
        var now = DateTimeOffset.UtcNow;
        var bookings = (await conn.QueryAsync<(string Reference, long Number, int Dose, DateTime Start, DateTime Day)>("""
            SELECT b.reference, b.number, a.dose, a.start_utc, a.local_day FROM bookings b JOIN appointments a ON a.reference = b.reference
            WHERE b.centre_id = @c AND b.vaccine = @v AND b.status = 'confirmed'
            """, new { c = c.Def.Id, v = o.Vaccine }, tx))
            .GroupBy(r => (r.Reference, r.Number))
            .Select(g => (g.Key.Reference, g.Key.Number, Appointments: g.Select(a => (a.Dose, Start: new DateTimeOffset(DateTime.SpecifyKind(a.Start, DateTimeKind.Utc)), Day: DateOnly.FromDateTime(a.Day))).ToList()))
            .ToList();
        int Rank((string Reference, long Number, List<(int Dose, DateTimeOffset Start, DateOnly Day)> Appointments) b) =>
            b.Appointments.All(a => a.Start <= now) ? 0 : b.Appointments.Any(a => a.Dose == 1 && a.Start <= now) ? 1 : 2;
        var taken = new Dictionary<DateOnly, int>();
        var postpone = new List<(string Reference, int Dose, DateTimeOffset Start)>();
        var kept = 0;
        foreach (var b in bookings.OrderBy(Rank).ThenBy(b => b.Number))
        {
            foreach (var a in b.Appointments)
            {
                taken[a.Day] = taken.GetValueOrDefault(a.Day) + 1;
            }
            var view = new StockView(delivered, taken);
            var firstDay = b.Appointments.Min(a => a.Day);
            if (Rank(b) == 0 || view.MinSlack(firstDay) >= 0)
            {
                kept++;
                continue;
            }
            foreach (var a in b.Appointments)
            {
                taken[a.Day]--;
                postpone.Add((b.Reference, a.Dose, a.Start));
            }
        }
        var deliveryOut = new { deliveryId, vaccine = o.Vaccine, date = newDay, doses = newDoses, status = newStatus };
        var planBody = new
        {
            delivery = deliveryOut,
            postpone = postpone.Select(p => new { reference = p.Reference, dose = p.Dose, start = TimeZoneInfo.ConvertTime(p.Start, c.Def.Zone) }).ToArray(),
            kept,
        };
        if (postpone.Count > 0 && !apply)
        {
            await tx.RollbackAsync();
            return new Outcome(409, Problem: "supply-shortfall", Detail: "The stock would no longer cover the appointments.", Extensions: planBody);
        }
        await conn.ExecuteAsync("UPDATE deliveries SET day = @day, doses = @doses, status = @status WHERE id = @deliveryId",
            new { day = newDay.ToDateTime(TimeOnly.MinValue), doses = newDoses, status = newStatus, deliveryId }, tx);
        foreach (var (d, n) in deliveredChange)
        {
            await AddDelivered(conn, tx, c, o.Vaccine, d, n);
        }
        var refs = postpone.Select(p => p.Reference).Distinct().ToArray();
        if (refs.Length > 0)
        {
            await conn.ExecuteAsync("""
                UPDATE bookings SET status = 'postponed' WHERE reference = ANY(@refs);
                UPDATE slots s SET booked = s.booked - x.n
                FROM (SELECT start_utc, count(*)::int AS n FROM appointments WHERE reference = ANY(@refs) GROUP BY 1 ORDER BY 1) x
                WHERE s.centre_id = @c AND s.start_utc = x.start_utc;
                UPDATE stock_days s SET booked = s.booked - x.n
                FROM (SELECT local_day, count(*)::int AS n FROM appointments WHERE reference = ANY(@refs) GROUP BY 1) x
                WHERE s.centre_id = @c AND s.vaccine = @v AND s.day = x.local_day;
                """, new { refs, c = c.Def.Id, v = o.Vaccine }, tx);
        }
        await tx.CommitAsync();
        return new Outcome(200, Body: planBody);
    }

    // ------------------------------------------------------------------ availability

    /// <summary>The first-dose listing as JSON, at most <see cref="ListingCache.MaxAge"/> old.</summary>
    public Task<byte[]> FirstDoseSlotsJson(CentreRow c, Vaccine v, DateOnly from, DateOnly to) =>
        listings.GetAsync(new ListingKey(c.Def.Id, v.Id, from, to),
            async () => JsonSerializer.SerializeToUtf8Bytes(await FirstDoseSlots(c, v, from, to), Json.Options));

    /// <summary>
    /// What a centre search shows of a centre for one vaccine: its next bookable first-dose slot within
    /// the booking horizon and its bookable slots over the 7 days from the centre's today, from the
    /// same read as a listing. At most <see cref="SearchMaxAge"/> old, the staleness the engine's
    /// read model allows its searches; read again in the background from
    /// <see cref="SearchRefreshAfter"/>, so that the outlooks of centres searched together do not all
    /// expire, and get read, at once; concurrent searches share one read.
    /// </summary>
    public async Task<Outlook> OutlookAsync(CentreRow c, Vaccine v)
    {
        var kept = _outlooks.GetOrAdd((c.Def.Id, v.Id), _ => new KeptOutlook());
        Task<Outlook> answer;
        lock (kept)
        {
            var age = kept.Current is null ? TimeSpan.MaxValue : time.GetElapsedTime(kept.ReadAt);
            if (kept.Current is null || kept.Current.IsFaulted || age > SearchMaxAge)
            {
                kept.Next ??= Read(kept, c, v);
                answer = kept.Next;
            }
            else
            {
                if (age > SearchRefreshAfter)
                {
                    kept.Next ??= Read(kept, c, v);
                }
                answer = kept.Current;
            }
        }
        return await answer;
    }

    private async Task<Outlook> Read(KeptOutlook kept, CentreRow c, Vaccine v)
    {
        // Started under the entry's lock: the rest runs after the caller has stored it as Next.
        await Task.Yield();
        var startedAt = time.GetTimestamp();
        var read = ReadLimited(c, v);
        try
        {
            await read;
        }
        finally
        {
            lock (kept)
            {
                kept.Next = null;
                if (read.IsCompletedSuccessfully)
                {
                    (kept.Current, kept.ReadAt) = (read, startedAt);
                }
            }
        }
        return await read;
    }

    private async Task<Outlook> ReadLimited(CentreRow c, Vaccine v)
    {
        await _outlookReads.WaitAsync();
        try
        {
            return await ReadOutlook(c, v);
        }
        finally
        {
            _outlookReads.Release();
        }
    }

    private async Task<Outlook> ReadOutlook(CentreRow c, Vaccine v)
    {
        var today = Rules.LocalDate(DateTimeOffset.UtcNow, c.Def.Zone);
        var days = await FirstDoseSlots(c, v, today, today.AddDays(c.Def.BookingHorizonDays), onePerDay: true);
        var week = today.AddDays(7);
        return new Outlook(days.Count == 0 ? null : days[0].Start, days.Where(d => DateOnly.FromDateTime(d.Start.DateTime) < week).Sum(d => d.Remaining));
    }

    /// <summary>The bookable first-dose slots of [from, to]. With <paramref name="onePerDay"/>, one
    /// entry per bookable day instead, from a per-day count: its first free start, and its number of
    /// free slots in place of a slot's remaining seats (what a search needs, without reading every slot).</summary>
    private async Task<IReadOnlyList<ListedSlot>> FirstDoseSlots(CentreRow c, Vaccine v, DateOnly from, DateOnly to, bool onePerDay = false)
    {
        var zone = c.Def.Zone;
        var now = DateTimeOffset.UtcNow;
        var today = Rules.LocalDate(now, zone);
        var first = from < today ? today : from;
        var last = to > today.AddDays(c.Def.BookingHorizonDays) ? today.AddDays(c.Def.BookingHorizonDays) : to;
        var result = new List<ListedSlot>();
        if (last < first)
        {
            return result;
        }
        var secondFrom = first.AddDays(v.MinIntervalDays);
        var secondTo = last.AddDays(v.MaxIntervalDays);
        await using var conn = await db.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                onePerDay
                    ? Cmd("SELECT min(start_utc), local_day, count(*)::int FROM slots WHERE centre_id = $1 AND local_day BETWEEN $2 AND $3 AND booked < capacity AND start_utc > $4 GROUP BY local_day ORDER BY local_day",
                        c.Def.Id, first, last, now)
                    : Cmd("SELECT start_utc, local_day, capacity - booked FROM slots WHERE centre_id = $1 AND local_day BETWEEN $2 AND $3 AND booked < capacity AND start_utc > $4 ORDER BY start_utc",
                        c.Def.Id, first, last, now),
                Cmd("SELECT day, delivered, booked FROM stock_days WHERE centre_id = $1 AND vaccine = $2 ORDER BY day", c.Def.Id, v.Id),
            },
        };
        if (v.NeedsSecondDose)
        {
            batch.BatchCommands.Add(Cmd("SELECT local_day, min(start_utc), max(start_utc) FROM slots WHERE centre_id = $1 AND local_day BETWEEN $2 AND $3 AND booked < capacity GROUP BY local_day ORDER BY local_day",
                c.Def.Id, secondFrom, secondTo));
        }
        var slots = new List<(DateTimeOffset Start, DateOnly Day, int Remaining)>();
        var stock = new List<(DateOnly, int, int)>();
        var freeDays = new SortedDictionary<DateOnly, (DateTimeOffset First, DateTimeOffset Last)>();
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                slots.Add((reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2)));
            }
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                stock.Add((reader.GetFieldValue<DateOnly>(0), reader.GetInt32(1), reader.GetInt32(2)));
            }
            if (v.NeedsSecondDose && await reader.NextResultAsync())
            {
                while (await reader.ReadAsync())
                {
                    freeDays[reader.GetFieldValue<DateOnly>(0)] = (reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2));
                }
            }
        }
        var view = new StockView(stock);
        foreach (var day in slots.GroupBy(s => s.Day))
        {
            if (!view.CanTake(day.Key))
            {
                continue;
            }
            SecondDoseWindow? window = null;
            if (v.NeedsSecondDose)
            {
                DateOnly? firstDay = null, lastDay = null;
                for (var d = day.Key.AddDays(v.MinIntervalDays); d <= day.Key.AddDays(v.MaxIntervalDays); d = d.AddDays(1))
                {
                    if (freeDays.ContainsKey(d) && view.CanTakePair(day.Key, d))
                    {
                        firstDay ??= d;
                        lastDay = d;
                    }
                }
                if (firstDay is null)
                {
                    continue;
                }
                window = new SecondDoseWindow(
                    TimeZoneInfo.ConvertTime(freeDays[firstDay.Value].First, zone),
                    TimeZoneInfo.ConvertTime(freeDays[lastDay!.Value].Last, zone));
            }
            foreach (var s in day)
            {
                result.Add(new ListedSlot(TimeZoneInfo.ConvertTime(s.Start, zone), s.Remaining, window));
            }
        }
        return result;
    }

    // ------------------------------------------------------------------ bookings

    /// <summary>
    /// Books a pair. Bookings of one centre and vaccine queue here, in the process, before they take a
    /// pooled connection: inside PostgreSQL they would only wait for the same stock row lock, each
    /// holding one of the few connections that listings and the other centres need. The row lock stays
    /// the guard (cancellations, reschedules, deliveries and any other API process take it too).
    /// </summary>
    public async Task<Outcome> Book(BookCommand r)
    {
        var queue = _bookingQueues.GetOrAdd((r.CentreId, r.Vaccine), _ => new SemaphoreSlim(1, 1));
        if (!await queue.WaitAsync(_queueTimeout))
        {
            throw new TimeoutException("Bookings of this centre and vaccine are queued beyond the connection timeout.");
        }
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return await BookOnce(r);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 3)
                {
                }
            }
        }
        finally
        {
            queue.Release();
        }
    }

    private async Task<Outcome> BookOnce(BookCommand r)
    {
        var c = _centres[r.CentreId];
        var v = Rules.Catalogue[r.Vaccine];
        var zone = c.Def.Zone;
        var d1 = Rules.LocalDate(r.First, zone);
        var lo = d1.AddDays(v.MinIntervalDays);
        var hi = d1.AddDays(v.MaxIntervalDays);
        var pick = v.NeedsSecondDose && r.Second is null;
        var reference = BookingReference.New();
        await using var conn = await db.OpenConnectionAsync();
        var open = false;
        try
        {
            // Round trip 1: begin, idempotency look-up, stock lock, seat 1, stock rows, and the dose-2
            // candidates: the slot asked for, or the nearest free seat of each day of the window.
            await using var a = new NpgsqlBatch(conn);
            a.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            open = true;
            if (r.Idempotency is { } idem)
            {
                a.BatchCommands.Add(Cmd("SELECT request_hash, status_code, response FROM idempotency WHERE scope = $1 AND key = $2", idem.Scope, idem.Key));
            }
            a.BatchCommands.Add(Cmd("SELECT 1 FROM stock WHERE centre_id = $1 AND vaccine = $2 FOR UPDATE", c.Def.Id, v.Id));
            a.BatchCommands.Add(Cmd("UPDATE slots SET booked = booked + 1 WHERE centre_id = $1 AND start_utc = $2 AND booked < capacity RETURNING 1", c.Def.Id, r.First));
            a.BatchCommands.Add(Cmd("SELECT day, delivered, booked FROM stock_days WHERE centre_id = $1 AND vaccine = $2 ORDER BY day", c.Def.Id, v.Id));
            if (pick)
            {
                a.BatchCommands.Add(NearestFreeSeatsCommand(c.Def.Id, r.First, lo, hi, NoSeats));
            }
            else if (r.Second is { } wanted)
            {
                a.BatchCommands.Add(Cmd("SELECT start_utc, local_day FROM slots WHERE centre_id = $1 AND start_utc = $2", c.Def.Id, wanted));
            }
            var firstTaken = false;
            var stock = new List<(DateOnly, int, int)>();
            List<(DateTimeOffset Start, DateOnly Day)> candidates = [];
            (string Hash, int Status, string Response)? stored = null;
            await using (var reader = await a.ExecuteReaderAsync())
            {
                if (r.Idempotency is not null)
                {
                    if (await reader.ReadAsync())
                    {
                        stored = (reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
                    }
                    await reader.NextResultAsync();
                }
                await reader.NextResultAsync(); // the stock lock
                firstTaken = await reader.ReadAsync();
                await reader.NextResultAsync();
                while (await reader.ReadAsync())
                {
                    stock.Add((reader.GetFieldValue<DateOnly>(0), reader.GetInt32(1), reader.GetInt32(2)));
                }
                if (v.NeedsSecondDose && await reader.NextResultAsync())
                {
                    candidates = await ReadSeats(reader);
                }
            }
            if (stored is { } answer)
            {
                await Rollback(conn);
                open = false;
                return answer.Hash == r.Idempotency!.Value.Hash
                    ? new Outcome(answer.Status, Raw: answer.Response)
                    : Outcome.Fail(422, "idempotency-key-reused", "This Idempotency-Key was already used with a different request body.");
            }
            if (!firstTaken)
            {
                await Rollback(conn);
                open = false;
                var exists = await conn.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM slots WHERE centre_id = @c AND start_utc = @s)",
                    new { c = c.Def.Id, s = r.First.UtcDateTime });
                return exists ? Outcome.Fail(409, "slot-full", "The first-dose slot is full.") : Outcome.Invalid("firstDose", "No slot of this centre starts at that time.");
            }
            var view = new StockView(stock);
            if (!view.CanTake(d1))
            {
                await Rollback(conn);
                open = false;
                return Outcome.Fail(409, "out-of-stock", "Not enough doses for the appointments.");
            }
            (DateTimeOffset Start, DateOnly Day)? second = null;
            if (r.Second is not null)
            {
                if (WantedSecondProblem(v, d1, view, candidates) is { } problem)
                {
                    await Rollback(conn);
                    open = false;
                    return problem;
                }
                second = candidates[0];
            }
            for (var lost = 0; ;)
            {
                if (pick)
                {
                    // The earliest day where the stock covers both doses; on it, the nearest free seat.
                    second = candidates.Where(x => view.CanTakePair(d1, x.Day)).Select(x => ((DateTimeOffset, DateOnly)?)x).FirstOrDefault();
                    if (second is null)
                    {
                        await Rollback(conn);
                        open = false;
                        return Outcome.Fail(409, "no-second-dose", "No second-dose slot with a dose can go with this first dose.");
                    }
                }
                var taken = new List<(int Dose, DateTimeOffset Start, DateOnly Day)> { (1, r.First, d1) };
                if (second is { } s)
                {
                    taken.Add((2, s.Start, s.Day));
                }
                var booking = new BookingOut(reference, "confirmed", v.Id, c.Def.Id,
                    taken.Select(t => new AppointmentOut(t.Dose, c.Def.Id, TimeZoneInfo.ConvertTime(t.Start, zone))).ToArray());
                var json = JsonSerializer.Serialize(booking, Json.Options);

                // Round trip 2: seat 2 with the appointments, stock counters, the booking, the stored answer,
                // commit. A failed statement skips the rest of the batch, COMMIT included.
                await using var b = new NpgsqlBatch(conn);
                if (pick)
                {
                    b.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT dose2"));
                }
                b.BatchCommands.Add(second is { } seat
                    ? Cmd(AppointmentsWithSecondSeat, reference, c.Def.Id, r.First, d1, seat.Start, seat.Day)
                    : Cmd("INSERT INTO appointments (reference, dose, centre_id, start_utc, local_day) VALUES ($1, 1, $2, $3, $4)", reference, c.Def.Id, r.First, d1));
                b.BatchCommands.Add(Cmd("UPDATE stock_days SET booked = booked + 1 WHERE centre_id = $1 AND vaccine = $2 AND day = ANY($3)",
                    c.Def.Id, v.Id, taken.Select(t => t.Day).ToArray()));
                b.BatchCommands.Add(Cmd("""
                    INSERT INTO bookings (reference, centre_id, vaccine, identity_key, birth_check, status, min_interval, max_interval, booked_at)
                    VALUES ($1, $2, $3, $4, $5, 'confirmed', $6, $7, now())
                    """, reference, c.Def.Id, v.Id, r.IdentityKey, r.BirthCheck, v.NeedsSecondDose ? v.MinIntervalDays : 0, v.NeedsSecondDose ? v.MaxIntervalDays : 0));
                if (r.Idempotency is { } key)
                {
                    b.BatchCommands.Add(Cmd("INSERT INTO idempotency (scope, key, request_hash, status_code, response, created_at) VALUES ($1, $2, $3, 201, $4, now())",
                        key.Scope, key.Key, key.Hash, json));
                }
                // The confirmation SMS commits with the booking, in the engine's words.
                var sms = new SmsMessages(c.Def.Name, zone).Confirmed(new BookingRecord(reference, r.IdentityKey, r.BirthCheck, v.Id,
                    taken.Select(t => new Appointment(t.Dose, t.Start)).ToArray(), DateTimeOffset.UtcNow, ProtectedContact: r.Phone))!;
                b.BatchCommands.Add(Cmd("""
                    INSERT INTO sms_outbox (centre_id, reference, template, recipient, text, segments, created_at, next_attempt_at)
                    VALUES ($1, $2, $3, $4, $5, $6, now(), now())
                    """, c.Def.Id, reference, sms.TemplateName, sms.ProtectedContact, sms.Text, (short)sms.Segments));
                b.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                try
                {
                    await b.ExecuteNonQueryAsync();
                    open = false;
                    return new Outcome(201, Raw: json, Location: $"/api/v1/bookings/{reference}");
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.NotNullViolation && e.TableName == "appointments" && second is { } gone)
                {
                    // Seats are shared by the centre's vaccines: a booking of another one took it since it was read.
                    if (!pick || ++lost >= 8)
                    {
                        await Rollback(conn);
                        open = false;
                        return Outcome.Fail(409, "slot-full", pick ? "The second-dose slots kept filling up; retry." : "The second-dose slot is full.");
                    }
                    // Seat 1 and the stock lock are kept; candidates again from that day on.
                    await using var again = new NpgsqlBatch(conn)
                    {
                        BatchCommands = { new NpgsqlBatchCommand("ROLLBACK TO SAVEPOINT dose2"), NearestFreeSeatsCommand(c.Def.Id, r.First, gone.Day, hi, NoSeats) },
                    };
                    await using var reader = await again.ExecuteReaderAsync();
                    candidates = await ReadSeats(reader);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    await Rollback(conn);
                    open = false;
                    if (e.ConstraintName == "bookings_one_active")
                    {
                        return Outcome.Fail(409, "already-booked", "This person already holds an active booking.");
                    }
                    if (e.ConstraintName == "idempotency_pkey" && r.Idempotency is { } k)
                    {
                        // Two copies of one request raced: the loser replays the winner's answer.
                        var winner = await conn.QuerySingleOrDefaultAsync<(string Hash, int Status, string Response)?>(
                            "SELECT request_hash, status_code, response FROM idempotency WHERE scope = @s AND key = @k", new { s = k.Scope, k = k.Key });
                        if (winner is { } w)
                        {
                            return w.Hash == k.Hash ? new Outcome(w.Status, Raw: w.Response)
                                : Outcome.Fail(422, "idempotency-key-reused", "This Idempotency-Key was already used with a different request body.");
                        }
                    }
                    throw;
                }
            }
        }
        catch when (open)
        {
            await TryRollback(conn);
            throw;
        }
    }

    /// <summary>
    /// Dose 1's appointment, and dose 2's with the start of the seat the conditional update took: a seat
    /// that filled up (or no longer exists) leaves that start NULL and the insert fails.
    /// </summary>
    private const string AppointmentsWithSecondSeat = """
        WITH seat AS (
            UPDATE slots SET booked = booked + 1 WHERE centre_id = $2 AND start_utc = $5 AND booked < capacity RETURNING start_utc)
        INSERT INTO appointments (reference, dose, centre_id, start_utc, local_day)
        VALUES ($1, 1, $2, $3, $4), ($1, 2, $2, (SELECT start_utc FROM seat), $6)
        """;

    /// <summary>Why the second-dose slot asked for cannot go with this first dose, if it cannot.</summary>
    private static Outcome? WantedSecondProblem(Vaccine v, DateOnly d1, StockView view, List<(DateTimeOffset Start, DateOnly Day)> wanted)
    {
        if (wanted.Count == 0)
        {
            return Outcome.Invalid("secondDose", "No slot of this centre starts at that time.");
        }
        var day = wanted[0].Day;
        var days = day.DayNumber - d1.DayNumber;
        if (days < v.MinIntervalDays || days > v.MaxIntervalDays)
        {
            return Outcome.Invalid("secondDose", $"The second dose must be {v.MinIntervalDays} to {v.MaxIntervalDays} days after the first.");
        }
        return view.CanTakePair(d1, day) ? null : Outcome.Fail(409, "out-of-stock", "Not enough doses for the appointments.");
    }

    /// <summary>
    /// For each day of [from, to] that has one, the free seat nearest the first dose's time of day, the
    /// earlier on a tie: two short index scans per day (from that time of day up, and down) instead of
    /// reading every slot of the window. Seats in <paramref name="own"/> count as free (a reschedule's
    /// own); the first dose's slot never does.
    /// </summary>
    private static NpgsqlBatchCommand NearestFreeSeatsCommand(string centreId, DateTimeOffset first, DateOnly from, DateOnly to, DateTime[] own) =>
        Cmd("""
            SELECT x.start_utc, x.local_day
            FROM (SELECT local_minute AS m FROM slots WHERE centre_id = $1 AND start_utc = $2) f
            CROSS JOIN generate_series(0, $4) AS g(i)
            CROSS JOIN LATERAL (
                (SELECT start_utc, local_day, local_minute - f.m AS distance FROM slots
                 WHERE centre_id = $1 AND local_day = $3 + g.i AND local_minute >= f.m AND start_utc <> $2 AND (booked < capacity OR start_utc = ANY($5))
                 ORDER BY local_minute, start_utc LIMIT 1)
                UNION ALL
                (SELECT start_utc, local_day, f.m - local_minute FROM slots
                 WHERE centre_id = $1 AND local_day = $3 + g.i AND local_minute < f.m AND start_utc <> $2 AND (booked < capacity OR start_utc = ANY($5))
                 ORDER BY local_minute DESC, start_utc LIMIT 1)
                ORDER BY distance, start_utc
                LIMIT 1) x
            ORDER BY g.i
            """, centreId, first, from, to.DayNumber - from.DayNumber, own);

    private static async Task<List<(DateTimeOffset Start, DateOnly Day)>> ReadSeats(NpgsqlDataReader reader)
    {
        var seats = new List<(DateTimeOffset Start, DateOnly Day)>();
        while (await reader.ReadAsync())
        {
            seats.Add((reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateOnly>(1)));
        }
        return seats;
    }

    /// <summary>Cancels both appointments: seats and doses are free again at once.</summary>
    public async Task<Outcome> Cancel(string reference, string birthCheck)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await CancelOnce(reference, birthCheck);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 3)
            {
            }
        }
    }

    private async Task<Outcome> CancelOnce(string reference, string birthCheck)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var b = await LockBooking(conn, tx, reference, birthCheck);
        if (b is not { } booking)
        {
            return Outcome.Fail(404, "booking-not-found", "No booking matches this reference and birth date.");
        }
        if (booking.Status == "cancelled")
        {
            return Outcome.Fail(409, "not-active", "The booking is already cancelled.");
        }
        // Seats, doses and status in one round trip while the stock lock is held.
        await conn.ExecuteAsync((booking.Status == "confirmed" ? ReleaseSql : "") + "UPDATE bookings SET status = 'cancelled' WHERE reference = @reference",
            new { reference, c = booking.CentreId, v = booking.Vaccine }, tx);
        await tx.CommitAsync();
        return new Outcome(204);
    }

    private static async Task<(string CentreId, string Vaccine, string Status, int Min, int Max)?> LockBooking(
        NpgsqlConnection conn, NpgsqlTransaction tx, string reference, string birthCheck)
    {
        var row = await conn.QuerySingleOrDefaultAsync<(string CentreId, string Vaccine, string Status, string BirthCheck, int Min, int Max)?>(
            "SELECT centre_id, vaccine, status, birth_check, min_interval, max_interval FROM bookings WHERE reference = @reference FOR UPDATE",
            new { reference }, tx);
        if (row is not { } r || r.BirthCheck != birthCheck)
        {
            return null;
        }
        // Stock lock after the booking's row: every writer of this stock takes it before any seat.
        await conn.ExecuteAsync("SELECT 1 FROM stock WHERE centre_id = @c AND vaccine = @v FOR UPDATE", new { c = r.CentreId, v = r.Vaccine }, tx);
        return (r.CentreId, r.Vaccine, r.Status, r.Min, r.Max);
    }

    private const string ReleaseSql = """
            SELECT 1 FROM slots WHERE centre_id = @c AND start_utc IN (SELECT start_utc FROM appointments WHERE reference = @reference)
            ORDER BY start_utc FOR UPDATE;
            UPDATE slots s SET booked = s.booked - 1
            FROM (SELECT start_utc FROM appointments WHERE reference = @reference ORDER BY start_utc) a
            WHERE s.centre_id = @c AND s.start_utc = a.start_utc;
            UPDATE stock_days s SET booked = s.booked - 1
            FROM appointments a WHERE a.reference = @reference AND s.centre_id = @c AND s.vaccine = @v AND s.day = a.local_day;
            """;

    private static Task Release(NpgsqlConnection conn, NpgsqlTransaction tx, string centreId, string vaccine, string reference) =>
        conn.ExecuteAsync(ReleaseSql, new { reference, c = centreId, v = vaccine }, tx);

    /// <summary>
    /// Moves a booking, all or nothing: decided as if its own seats and doses were free. A null first
    /// dose keeps the current one; a null second dose keeps the current one if the first did not
    /// move, else the engine picks one. The interval stays the one the booking was made with.
    /// </summary>
    public async Task<Outcome> Reschedule(string reference, string birthCheck, DateTimeOffset? newFirst, DateTimeOffset? newSecond)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await RescheduleOnce(reference, birthCheck, newFirst, newSecond);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 3)
            {
            }
        }
    }

    private async Task<Outcome> RescheduleOnce(string reference, string birthCheck, DateTimeOffset? newFirst, DateTimeOffset? newSecond)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        if (await LockBooking(conn, tx, reference, birthCheck) is not { } booking)
        {
            return Outcome.Fail(404, "booking-not-found", "No booking matches this reference and birth date.");
        }
        if (booking.Status == "cancelled")
        {
            return Outcome.Fail(409, "not-active", "The booking is cancelled.");
        }
        var c = _centres[booking.CentreId];
        var zone = c.Def.Zone;
        var now = DateTimeOffset.UtcNow;
        var old = (await conn.QueryAsync<(int Dose, DateTime Start, DateTime Day)>(
            "SELECT dose, start_utc, local_day FROM appointments WHERE reference = @reference ORDER BY dose", new { reference }, tx))
            .Select(x => (x.Dose, Start: new DateTimeOffset(DateTime.SpecifyKind(x.Start, DateTimeKind.Utc)), Day: DateOnly.FromDateTime(x.Day))).ToList();
        var oldFirst = old.FirstOrDefault(x => x.Dose == 1);
        var oldSecond = old.FirstOrDefault(x => x.Dose == 2);
        if (oldFirst.Dose == 0 || oldFirst.Start <= now)
        {
            return Outcome.Invalid("firstDose", "The first dose has already been given (this baseline moves bookings whose first dose is ahead).");
        }
        var firstStart = newFirst ?? oldFirst.Start;
        var d1 = Rules.LocalDate(firstStart, zone);
        if (firstStart <= now || (newFirst is not null && d1 > Rules.LocalDate(now, zone).AddDays(c.Def.BookingHorizonDays)))
        {
            return Outcome.Invalid("firstDose", "No future slot within the horizon starts at that time.");
        }
        // Own seats and doses count as free.
        var holds = booking.Status == "confirmed";
        var ownStarts = holds ? old.Select(x => x.Start.UtcTicks).ToHashSet() : [];
        var ownDays = holds ? old.GroupBy(x => x.Day).ToDictionary(g => g.Key, g => -g.Count()) : [];
        var stock = (await conn.QueryAsync<(DateTime Day, int Delivered, int Booked)>(
            "SELECT day, delivered, booked FROM stock_days WHERE centre_id = @c AND vaccine = @v ORDER BY day", new { c = c.Def.Id, v = booking.Vaccine }, tx))
            .Select(x => (DateOnly.FromDateTime(x.Day), x.Delivered, x.Booked)).ToList();
        var view = new StockView(stock, ownDays);
        var secondWanted = newSecond ?? (newFirst is null && oldSecond.Dose == 2 ? oldSecond.Start : null);
        var lo = d1.AddDays(booking.Min);
        var hi = d1.AddDays(booking.Max);
        var slots = (await conn.QueryAsync<(DateTime Start, DateTime Day, int Free)>("""
            SELECT start_utc, local_day, capacity - booked FROM slots
            WHERE centre_id = @c AND (start_utc = @first OR (start_utc = @second AND local_day BETWEEN @lo AND @hi))
            """, new
        {
            c = c.Def.Id, first = firstStart.UtcDateTime, lo = lo.ToDateTime(TimeOnly.MinValue), hi = hi.ToDateTime(TimeOnly.MinValue),
            second = (secondWanted ?? firstStart).UtcDateTime,
        }, tx))
            .Select(x => (Start: new DateTimeOffset(DateTime.SpecifyKind(x.Start, DateTimeKind.Utc)), Day: DateOnly.FromDateTime(x.Day),
                Free: x.Free + (ownStarts.Contains(DateTime.SpecifyKind(x.Start, DateTimeKind.Utc).Ticks) ? 1 : 0)))
            .ToList();
        var first = slots.FirstOrDefault(x => x.Start == firstStart);
        if (first.Start == default)
        {
            return Outcome.Invalid("firstDose", "No slot of this centre starts at that time.");
        }
        if (first.Free <= 0)
        {
            return Outcome.Fail(409, "slot-full", "The first-dose slot is full.");
        }
        var taken = new List<(int Dose, DateTimeOffset Start, DateOnly Day)> { (1, firstStart, d1) };
        if (oldSecond.Dose == 2)
        {
            (DateTimeOffset Start, DateOnly Day)? pick = null;
            if (secondWanted is { } w)
            {
                var s = slots.FirstOrDefault(x => x.Start == w && x.Start != firstStart);
                if (s.Start == default)
                {
                    return Outcome.Invalid("secondDose", $"No slot {booking.Min} to {booking.Max} days after the first dose starts at that time.");
                }
                if (s.Free <= 0)
                {
                    return Outcome.Fail(409, "slot-full", "The second-dose slot is full.");
                }
                if (!view.CanTakePair(d1, s.Day))
                {
                    return Outcome.Fail(409, "out-of-stock", "Not enough doses for the appointments.");
                }
                pick = (s.Start, s.Day);
            }
            else
            {
                if (!view.CanTake(d1))
                {
                    return Outcome.Fail(409, "out-of-stock", "Not enough doses for the appointments.");
                }
                // The booking's own seats count as free.
                await using var batch = new NpgsqlBatch(conn, tx)
                {
                    BatchCommands = { NearestFreeSeatsCommand(c.Def.Id, firstStart, lo, hi, holds ? old.Select(o => o.Start.UtcDateTime).ToArray() : NoSeats) },
                };
                await using var reader = await batch.ExecuteReaderAsync();
                pick = (await ReadSeats(reader)).Where(x => view.CanTakePair(d1, x.Day)).Select(x => ((DateTimeOffset, DateOnly)?)x).FirstOrDefault();
                if (pick is null)
                {
                    return Outcome.Fail(409, "no-second-dose", "No second-dose slot with a dose can go with this first dose.");
                }
            }
            taken.Add((2, pick.Value.Start, pick.Value.Day));
        }
        else if (!view.CanTake(d1))
        {
            return Outcome.Fail(409, "out-of-stock", "Not enough doses for the appointments.");
        }

        // Lock every seat involved in time order, check the new ones under the lock, then move.
        var involved = taken.Select(t => t.Start.UtcDateTime).Concat(holds ? old.Select(o => o.Start.UtcDateTime) : []).Distinct().Order().ToArray();
        var locked = (await conn.QueryAsync<(DateTime Start, int Booked, int Capacity)>(
            "SELECT start_utc, booked, capacity FROM slots WHERE centre_id = @c AND start_utc = ANY(@involved) ORDER BY start_utc FOR UPDATE",
            new { c = c.Def.Id, involved }, tx)).ToDictionary(x => DateTime.SpecifyKind(x.Start, DateTimeKind.Utc).Ticks);
        foreach (var t in taken)
        {
            var l = locked[t.Start.UtcDateTime.Ticks];
            if (l.Booked - (ownStarts.Contains(t.Start.UtcTicks) ? 1 : 0) + 1 > l.Capacity)
            {
                return Outcome.Fail(409, "slot-full", "The slot filled up meanwhile.");
            }
        }
        if (holds)
        {
            await Release(conn, tx, c.Def.Id, booking.Vaccine, reference);
        }
        try
        {
            await conn.ExecuteAsync("""
                DELETE FROM appointments WHERE reference = @reference;
                INSERT INTO appointments (reference, dose, centre_id, start_utc, local_day)
                SELECT @reference, d, @c, s, l FROM unnest(@doses::int[], @starts::timestamptz[], @days::date[]) AS u(d, s, l);
                UPDATE slots SET booked = booked + 1 WHERE centre_id = @c AND start_utc = ANY(@starts);
                UPDATE stock_days SET booked = booked + 1 WHERE centre_id = @c AND vaccine = @v AND day = ANY(@days);
                UPDATE bookings SET status = 'confirmed' WHERE reference = @reference;
                """, new
            {
                reference, c = c.Def.Id, v = booking.Vaccine,
                doses = taken.Select(t => t.Dose).ToArray(),
                starts = taken.Select(t => t.Start.UtcDateTime).ToArray(),
                days = taken.Select(t => t.Day.ToDateTime(TimeOnly.MinValue)).ToArray(),
            }, tx);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "bookings_one_active")
        {
            return Outcome.Fail(409, "already-booked", "This person already holds another active booking.");
        }
        await tx.CommitAsync();
        return new Outcome(200, Body: new BookingOut(reference, "confirmed", booking.Vaccine, c.Def.Id,
            taken.Select(t => new AppointmentOut(t.Dose, c.Def.Id, TimeZoneInfo.ConvertTime(t.Start, zone))).ToArray()));
    }

    public async Task<Outcome> Find(string reference, string birthCheck)
    {
        await using var conn = await db.OpenConnectionAsync();
        var b = await conn.QuerySingleOrDefaultAsync<(string CentreId, string Vaccine, string Status, string BirthCheck)?>(
            "SELECT centre_id, vaccine, status, birth_check FROM bookings WHERE reference = @reference", new { reference });
        if (b is not { } row || row.BirthCheck != birthCheck || _centres.GetValueOrDefault(row.CentreId) is not { } c)
        {
            return Outcome.Fail(404, "booking-not-found", "No booking matches this reference and birth date.");
        }
        var appointments = await conn.QueryAsync<(int Dose, DateTime Start)>(
            "SELECT dose, start_utc FROM appointments WHERE reference = @reference ORDER BY dose", new { reference });
        return new Outcome(200, Body: new BookingOut(reference, row.Status, row.Vaccine, row.CentreId,
            appointments.Select(a => new AppointmentOut(a.Dose, row.CentreId,
                TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(a.Start, DateTimeKind.Utc)), c.Def.Zone))).ToArray()));
    }

    private static NpgsqlBatchCommand Cmd(string sql, params object[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            cmd.Parameters.Add(value switch
            {
                DateTimeOffset t => new NpgsqlParameter { Value = t.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                DateOnly d => new NpgsqlParameter { Value = d, NpgsqlDbType = NpgsqlDbType.Date },
                DateOnly[] ds => new NpgsqlParameter { Value = ds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date },
                DateTime[] ts => new NpgsqlParameter { Value = ts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                _ => new NpgsqlParameter { Value = value },
            });
        }
        return cmd;
    }

    private static async Task Rollback(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand("ROLLBACK", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Ends the transaction of a failed booking while its first exception propagates. If even the
    /// rollback fails, the connection's state is unknown and, with "No Reset On Close", it must not go
    /// back to the pool as it is: clearing the pool makes Npgsql close it when it is returned.
    /// </summary>
    private static async Task TryRollback(NpgsqlConnection conn)
    {
        try
        {
            if (conn.FullState == System.Data.ConnectionState.Open)
            {
                await Rollback(conn);
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            NpgsqlConnection.ClearPool(conn);
        }
    }
}
