using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Booking.LoadTests;

public sealed record AuditCheck(string Name, bool Passed, long Violations, string Detail);

public sealed record AuditResult(string System, double Seconds, IReadOnlyList<AuditCheck> Checks, IReadOnlyDictionary<string, long> Facts, IReadOnlyList<string> Examples)
{
    public long Violations => Checks.Sum(c => c.Violations);

    public bool Passed => Checks.All(c => c.Passed);
}

/// <summary>
/// Checks the invariants straight from PostgreSQL, trusting nothing the API said. For the grain
/// engine it replays every centre's ledger in seq order (centre-configured, delivery-recorded,
/// delivery-changed, pair-booked, booking-rescheduled, booking-cancelled, waitlist-*) and checks
/// after every fact that placed appointments, then on the final state; for the SQL baseline it
/// recounts its tables. The references that got a 201 must all be durable.
/// </summary>
public static class Audit
{
    /// <summary>An identity hash shortened for a message; enough to find it again, not the whole key.</summary>
    private static string Short(string identity) => identity.Length > 12 ? identity[..12] + "…" : identity;

    /// <summary>Dose-2 windows of the catalogue (API.md): a booking keeps the one it was made with.</summary>
    private static readonly Dictionary<string, (int Min, int Max)> Windows = new()
    {
        ["pfizer"] = (21, 49), ["moderna"] = (28, 49), ["astrazeneca"] = (63, 84), ["janssen"] = (0, 0),
    };

    private const int MaxExamples = 20;

    public static async Task<AuditResult> Run(SystemKind system, string connectionString, IReadOnlyCollection<string> confirmed, TextWriter log)
    {
        var watch = Stopwatch.StartNew();
        await using var data = new NpgsqlDataSourceBuilder(connectionString).Build();
        var result = system == SystemKind.Grains
            ? await Grains(data, confirmed, log)
            : await Baseline(data, confirmed);
        return result with { Seconds = watch.Elapsed.TotalSeconds };
    }

    // ---------------------------------------------------------------- grain engine: ledger replay

    private sealed class Bk
    {
        public required string Reference;
        public required string Identity;
        public required string Vaccine;
        public required (int Dose, DateTimeOffset Start)[] Appointments;
        public string Status = "confirmed";
        public int Min;
        public int Max;
        public DateOnly? GivenOn;
    }

    private sealed class CentreState(string id)
    {
        public string Id = id;
        public int Lines;
        public TimeZoneInfo Zone = TimeZoneInfo.Utc;
        public bool BookForecast;
        public DateOnly Origin;
        public readonly Dictionary<string, (string Vaccine, DateOnly Date, int Doses, string Status)> Deliveries = new();
        public readonly Dictionary<string, Bk> Bookings = new();
        public readonly Dictionary<long, int> Seats = new();
        public readonly Dictionary<string, Dictionary<int, int>> Booked = new();
        public readonly Dictionary<string, (string Identity, string Vaccine)> Entries = new();
        public readonly Dictionary<string, (string Reference, string? Replaced)> Offers = new();

        public DateOnly LocalDate(DateTimeOffset t) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, Zone).DateTime);

        public static bool Holds(Bk b) => b.Status is "confirmed" or "offered";

        public void Hold(Bk b, int delta)
        {
            if (!Booked.TryGetValue(b.Vaccine, out var days))
            {
                Booked[b.Vaccine] = days = new();
            }
            foreach (var (_, start) in b.Appointments)
            {
                Seats[start.UtcTicks] = Seats.GetValueOrDefault(start.UtcTicks) + delta;
                var day = LocalDate(start).DayNumber;
                days[day] = days.GetValueOrDefault(day) + delta;
            }
        }

        /// <summary>The smallest "doses delivered so far − appointments so far" over the days from <paramref name="from"/> on.</summary>
        public (long Min, DateOnly Day) MinSlack(string vaccine, int from)
        {
            var delta = new SortedDictionary<int, long>();
            foreach (var d in Deliveries.Values)
            {
                if (d.Vaccine == vaccine && (d.Status == "confirmed" || BookForecast))
                {
                    var day = Math.Max(d.Date.DayNumber, Origin.DayNumber);
                    delta[day] = delta.GetValueOrDefault(day) + d.Doses;
                }
            }
            if (Booked.TryGetValue(vaccine, out var booked))
            {
                foreach (var (day, n) in booked)
                {
                    delta[day] = delta.GetValueOrDefault(day) - n;
                }
            }
            long running = 0, min = long.MaxValue;
            var minDay = 0;
            foreach (var (day, change) in delta)
            {
                running += change;
                if (day >= from && running < min)
                {
                    min = running;
                    minDay = day;
                }
            }
            return (min == long.MaxValue ? 0 : min, DateOnly.FromDayNumber(minDay));
        }
    }

    private sealed class Tally
    {
        public long I1, I2, I3, I4, Refs, Sms, Claims, StaleClaims, Unreadable;
        public readonly List<string> Examples = [];

        public void Example(string text)
        {
            lock (Examples)
            {
                if (Examples.Count < MaxExamples)
                {
                    Examples.Add(text);
                }
            }
        }
    }

    private static async Task<AuditResult> Grains(NpgsqlDataSource data, IReadOnlyCollection<string> confirmed, TextWriter log)
    {
        var t = new Tally();
        var facts = new Dictionary<string, long>();
        var ledgerRefs = new HashSet<string>(StringComparer.Ordinal);
        var activeByIdentity = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        long rows = 0, centres = 0;
        await using (var conn = await data.OpenConnectionAsync())
        await using (var cmd = new NpgsqlCommand("SELECT centre_id, seq, kind, payload FROM ledger ORDER BY centre_id, seq", conn))
        {
            cmd.CommandTimeout = 0;
            await using var reader = await cmd.ExecuteReaderAsync();
            CentreState? centre = null;
            while (await reader.ReadAsync())
            {
                var id = reader.GetString(0);
                if (centre?.Id != id)
                {
                    if (centre is not null)
                    {
                        Finish(centre, t, activeByIdentity);
                    }
                    centre = new CentreState(id);
                    centres++;
                }
                var kind = reader.GetString(2);
                facts[kind] = facts.GetValueOrDefault(kind) + 1;
                rows++;
                try
                {
                    using var doc = JsonDocument.Parse(reader.GetString(3));
                    Apply(centre, kind, reader.GetInt64(1), doc.RootElement, t, ledgerRefs);
                }
                // A row the replay cannot take (bad JSON, missing or null members, an unknown time
                // zone, a fact about a booking that does not exist) is a violation, not a crash.
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                    or ArgumentException or TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    t.Unreadable++;
                    t.Example($"{id} seq {reader.GetInt64(1)} ({kind}) could not be replayed: {e.Message}");
                }
                if (rows % 500_000 == 0)
                {
                    log.WriteLine($"audit: {rows:N0} ledger rows replayed");
                }
            }
            if (centre is not null)
            {
                Finish(centre, t, activeByIdentity);
            }
        }

        // I4 nationwide, and the claims table that enforces it.
        foreach (var (identity, refs) in activeByIdentity)
        {
            if (refs.Count > 1)
            {
                t.I4++;
                t.Example($"I4: identity {Short(identity)} holds {refs.Count} active bookings: {string.Join(", ", refs)}");
            }
        }
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var conn = await data.OpenConnectionAsync())
        {
            await using (var cmd = new NpgsqlCommand("SELECT identity_key, reference FROM citizen_bookings", conn))
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    claims[reader.GetString(0)] = reader.GetString(1);
                }
            }
            foreach (var (identity, refs) in activeByIdentity)
            {
                if (!claims.TryGetValue(identity, out var claimed) || !refs.Contains(claimed))
                {
                    t.Claims++;
                    t.Example($"I4: active booking {refs[0]} has no claim in citizen_bookings");
                }
            }
            t.StaleClaims = claims.Count(c => !activeByIdentity.ContainsKey(c.Key));

            // Every 201 is durable: in booking_refs and in the ledger.
            var wanted = confirmed.ToArray();
            var indexed = await ReferencesIn(conn, "SELECT reference FROM booking_refs WHERE reference = ANY($1)", wanted);
            await CheckConfirmationSms(conn, wanted, t);
            foreach (var reference in wanted)
            {
                if (!indexed.Contains(reference) || !ledgerRefs.Contains(reference))
                {
                    t.Refs++;
                    t.Example($"durability: {reference} got a 201 but is not in {string.Join(" nor in ", new[] { indexed.Contains(reference) ? null : "booking_refs", ledgerRefs.Contains(reference) ? null : "the ledger" }.OfType<string>())}");
                }
            }
        }
        facts["ledger rows"] = rows;
        facts["centres"] = centres;
        facts["active bookings"] = activeByIdentity.Values.Sum(v => v.Count);
        facts["stale claims (identity blocked without an active booking)"] = t.StaleClaims;
        facts["201 references checked"] = confirmed.Count;
        return new AuditResult("grains", 0, Checks(t), facts, t.Examples);
    }

    /// <summary>Which of <paramref name="wanted"/> the query, given them as $1, returns; asked in chunks.</summary>
    private static async Task<HashSet<string>> ReferencesIn(NpgsqlConnection conn, string sql, string[] wanted)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < wanted.Length; i += 50_000)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = wanted[i..Math.Min(wanted.Length, i + 50_000)] });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found.Add(reader.GetString(0));
            }
        }
        return found;
    }

    /// <summary>Every 201 has its confirmation SMS waiting in the outbox, committed with the booking.</summary>
    private static async Task CheckConfirmationSms(NpgsqlConnection conn, string[] wanted, Tally t)
    {
        var told = await ReferencesIn(conn, "SELECT reference FROM sms_outbox WHERE template = 'booking-confirmed' AND reference = ANY($1)", wanted);
        foreach (var reference in wanted.Where(r => !told.Contains(r)))
        {
            t.Sms++;
            t.Example($"sms: {reference} got a 201 but has no booking-confirmed row in sms_outbox");
        }
    }

    private static IReadOnlyList<AuditCheck> Checks(Tally t, bool grains = true) =>
    [
        new("I1 no slot over capacity", t.I1 == 0, t.I1, grains ? "seats per slot start ≤ lines, after every fact and at the end" : "appointments per slot ≤ capacity, and the slot counters agree"),
        new("I2 no day over stock", t.I2 == 0, t.I2, "per centre, vaccine, day: appointments so far ≤ usable deliveries so far" + (grains ? ", after every fact and at the end" : "; the day counters agree")),
        new("I3 intervals inside windows", t.I3 == 0, t.I3, "dose 2 − dose 1 in the booking's window, which is the catalogue's"),
        new("I4 one active booking per identity", t.I4 + t.Claims == 0, t.I4 + t.Claims,
            grains ? "nationwide, and each one claimed in citizen_bookings" : "nationwide (bookings with status confirmed)"),
        new("durability of every 201", t.Refs == 0, t.Refs,
            grains ? "each reference answered 201 is in booking_refs and in the ledger" : "each reference answered 201 is in bookings"),
        new("confirmation SMS of every 201", t.Sms == 0, t.Sms, "each reference answered 201 has its booking-confirmed row in sms_outbox"),
        .. (grains ? new[] { new AuditCheck("ledger readable", t.Unreadable == 0, t.Unreadable, "every fact replays") } : []),
    ];

    private static (int, DateTimeOffset)[] ReadAppointments(JsonElement list) =>
        list.EnumerateArray().Select(a => (a.GetProperty("dose").GetInt32(), a.GetProperty("start").GetDateTimeOffset())).ToArray();

    private static DateOnly Date(JsonElement e) => DateOnly.ParseExact(e.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static void Apply(CentreState c, string kind, long seq, JsonElement p, Tally t, HashSet<string> ledgerRefs)
    {
        switch (kind)
        {
            case "centre-configured":
            {
                var s = p.GetProperty("settings");
                c.Lines = s.GetProperty("lines").GetInt32();
                c.Zone = TimeZoneInfo.FindSystemTimeZoneById(s.GetProperty("timeZone").GetString()!);
                c.BookForecast = s.TryGetProperty("bookForecastDoses", out var f) && f.ValueKind == JsonValueKind.True;
                c.Origin = Date(p.GetProperty("stockOrigin"));
                // A new calendar recounts seats and doses from what is held, as the engine does.
                c.Seats.Clear();
                c.Booked.Clear();
                foreach (var b in c.Bookings.Values.Where(CentreState.Holds))
                {
                    c.Hold(b, +1);
                }
                break;
            }
            case "delivery-recorded":
            case "delivery-changed":
            {
                var d = p.GetProperty("delivery");
                c.Deliveries[d.GetProperty("id").GetString()!] = (d.GetProperty("vaccine").GetString()!, Date(d.GetProperty("date")),
                    d.GetProperty("doses").GetInt32(), d.GetProperty("status").GetString()!.ToLowerInvariant());
                if (kind == "delivery-changed" && p.TryGetProperty("postponed", out var postponed))
                {
                    foreach (var r in postponed.EnumerateArray())
                    {
                        var b = c.Bookings[r.GetString()!];
                        if (CentreState.Holds(b))
                        {
                            c.Hold(b, -1);
                        }
                        b.Status = "postponed";
                        c.Entries["wl-" + b.Reference.ToLowerInvariant()] = (b.Identity, b.Vaccine);
                    }
                }
                break;
            }
            case "pair-booked":
            {
                var r = p.GetProperty("booking");
                var b = new Bk
                {
                    Reference = r.GetProperty("reference").GetString()!,
                    Identity = r.GetProperty("identityKey").GetString()!,
                    Vaccine = r.GetProperty("vaccine").GetString()!,
                    Appointments = ReadAppointments(r.GetProperty("appointments")),
                    Status = r.TryGetProperty("status", out var st) ? st.GetString()!.ToLowerInvariant() : "confirmed",
                    Min = r.TryGetProperty("minIntervalDays", out var mn) ? mn.GetInt32() : 0,
                    Max = r.TryGetProperty("maxIntervalDays", out var mx) ? mx.GetInt32() : 0,
                    GivenOn = r.TryGetProperty("firstDoseGivenOn", out var g) && g.ValueKind == JsonValueKind.String ? Date(g) : null,
                };
                c.Bookings[b.Reference] = b;
                ledgerRefs.Add(b.Reference);
                if (CentreState.Holds(b))
                {
                    c.Hold(b, +1);
                    CheckPlaced(c, b, seq, t, catalogueWindow: true);
                }
                break;
            }
            case "booking-rescheduled":
            {
                var b = c.Bookings[p.GetProperty("reference").GetString()!];
                if (CentreState.Holds(b))
                {
                    c.Hold(b, -1);
                }
                b.Appointments = ReadAppointments(p.GetProperty("appointments"));
                b.Status = "confirmed";
                c.Hold(b, +1);
                CheckPlaced(c, b, seq, t, catalogueWindow: false);
                break;
            }
            case "booking-cancelled":
            {
                var b = c.Bookings[p.GetProperty("reference").GetString()!];
                if (CentreState.Holds(b))
                {
                    c.Hold(b, -1);
                }
                b.Status = "cancelled";
                break;
            }
            case "waitlist-joined":
            {
                var e = p.GetProperty("entry");
                c.Entries[e.GetProperty("id").GetString()!] = (e.GetProperty("identityKey").GetString()!, e.GetProperty("vaccine").GetString()!);
                break;
            }
            case "waitlist-offered":
            {
                var entryId = p.GetProperty("entryId").GetString()!;
                var (identity, vaccine) = c.Entries[entryId];
                var window = Windows.GetValueOrDefault(vaccine);
                var b = new Bk
                {
                    Reference = p.GetProperty("reference").GetString()!,
                    Identity = identity,
                    Vaccine = vaccine,
                    Appointments = ReadAppointments(p.GetProperty("appointments")),
                    Status = "offered",
                    Min = window.Min,
                    Max = window.Max,
                };
                c.Bookings[b.Reference] = b;
                ledgerRefs.Add(b.Reference);
                var replaced = entryId.StartsWith("wl-", StringComparison.Ordinal)
                    ? c.Bookings.Keys.FirstOrDefault(k => "wl-" + k.ToLowerInvariant() == entryId)
                    : null;
                c.Offers[entryId] = (b.Reference, replaced);
                c.Hold(b, +1);
                CheckPlaced(c, b, seq, t, catalogueWindow: true);
                break;
            }
            case "waitlist-offer-ended":
            {
                var entryId = p.GetProperty("entryId").GetString()!;
                var (reference, replaced) = c.Offers[entryId];
                c.Offers.Remove(entryId);
                var b = c.Bookings[reference];
                if (string.Equals(p.GetProperty("outcome").GetString(), "accepted", StringComparison.OrdinalIgnoreCase))
                {
                    b.Status = "confirmed";
                    if (replaced is not null && c.Bookings.TryGetValue(replaced, out var old))
                    {
                        old.Status = "cancelled";
                    }
                }
                else
                {
                    c.Hold(b, -1);
                    b.Status = "cancelled";
                }
                break;
            }
            default:
                throw new InvalidOperationException($"Unknown fact kind '{kind}'.");
        }
    }

    /// <summary>After a fact placed <paramref name="b"/>'s appointments: their slots, the stock from their first day on, the interval.</summary>
    private static void CheckPlaced(CentreState c, Bk b, long seq, Tally t, bool catalogueWindow)
    {
        foreach (var (_, start) in b.Appointments)
        {
            var seats = c.Seats[start.UtcTicks];
            if (seats > c.Lines)
            {
                t.I1++;
                t.Example($"I1: {c.Id} seq {seq}: slot {start:O} holds {seats} > {c.Lines} lines ({b.Reference})");
            }
        }
        var firstDay = b.Appointments.Min(a => c.LocalDate(a.Start).DayNumber);
        var (min, day) = c.MinSlack(b.Vaccine, firstDay);
        if (min < 0)
        {
            t.I2++;
            t.Example($"I2: {c.Id} seq {seq}: {b.Vaccine} short by {-min} on {day:yyyy-MM-dd} after {b.Reference}");
        }
        var d1 = b.Appointments.Where(a => a.Dose == 1).Select(a => (DateOnly?)c.LocalDate(a.Start)).FirstOrDefault() ?? b.GivenOn;
        var d2 = b.Appointments.Where(a => a.Dose == 2).Select(a => (DateOnly?)c.LocalDate(a.Start)).FirstOrDefault();
        var known = Windows.TryGetValue(b.Vaccine, out var window);
        if (d2 is { } second && d1 is { } first)
        {
            var days = second.DayNumber - first.DayNumber;
            if (days < b.Min || days > b.Max || (known && (b.Min, b.Max) != window))
            {
                t.I3++;
                t.Example($"I3: {c.Id} seq {seq}: {b.Reference} {b.Vaccine} dose 2 after {days} days, window {b.Min}–{b.Max} (catalogue {window.Min}–{window.Max})");
            }
        }
        else if (known && window.Max > 0 && catalogueWindow && d2 is null)
        {
            t.I3++;
            t.Example($"I3: {c.Id} seq {seq}: {b.Reference} is a {b.Vaccine} booking without a second dose");
        }
    }

    private static void Finish(CentreState c, Tally t, Dictionary<string, List<string>> activeByIdentity)
    {
        foreach (var (ticks, seats) in c.Seats)
        {
            if (seats > c.Lines)
            {
                t.I1++;
                t.Example($"I1: {c.Id} final: slot {new DateTimeOffset(ticks, TimeSpan.Zero):O} holds {seats} > {c.Lines}");
            }
        }
        foreach (var vaccine in c.Booked.Keys)
        {
            var (min, day) = c.MinSlack(vaccine, int.MinValue);
            if (min < 0)
            {
                t.I2++;
                t.Example($"I2: {c.Id} final: {vaccine} short by {-min} on {day:yyyy-MM-dd}");
            }
        }
        foreach (var b in c.Bookings.Values)
        {
            if (b.Status == "confirmed")
            {
                if (!activeByIdentity.TryGetValue(b.Identity, out var refs))
                {
                    activeByIdentity[b.Identity] = refs = new List<string>(1);
                }
                refs.Add(b.Reference);
            }
        }
    }

    // ---------------------------------------------------------------- SQL baseline: recount its tables

    private static async Task<AuditResult> Baseline(NpgsqlDataSource data, IReadOnlyCollection<string> confirmed)
    {
        var t = new Tally();
        var facts = new Dictionary<string, long>();
        await using var conn = await data.OpenConnectionAsync();

        async Task<long> Count(string sql, Action<NpgsqlDataReader>? example = null)
        {
            await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
            await using var reader = await cmd.ExecuteReaderAsync();
            long n = 0;
            while (await reader.ReadAsync())
            {
                n++;
                if (example is not null)
                {
                    example(reader);
                }
            }
            return n;
        }

        // I1: appointments of active bookings per slot, against the slot's capacity and its counter.
        t.I1 = await Count("""
            SELECT s.centre_id, s.start_utc, s.capacity, s.booked, coalesce(a.n, 0)
            FROM slots s
            LEFT JOIN (SELECT ap.centre_id, ap.start_utc, count(*) AS n FROM appointments ap
                       JOIN bookings b ON b.reference = ap.reference WHERE b.status = 'confirmed'
                       GROUP BY 1, 2) a ON a.centre_id = s.centre_id AND a.start_utc = s.start_utc
            WHERE coalesce(a.n, 0) > s.capacity OR s.booked > s.capacity OR s.booked <> coalesce(a.n, 0)
            """, r => t.Example($"I1: {r.GetString(0)} {r.GetDateTime(1):O}: capacity {r.GetInt32(2)}, counter {r.GetInt32(3)}, appointments {r.GetInt64(4)}"));
        t.I1 += await Count("""
            SELECT ap.centre_id, ap.start_utc FROM appointments ap JOIN bookings b ON b.reference = ap.reference
            LEFT JOIN slots s ON s.centre_id = ap.centre_id AND s.start_utc = ap.start_utc
            WHERE b.status = 'confirmed' AND s.centre_id IS NULL
            """, r => t.Example($"I1: {r.GetString(0)} {r.GetDateTime(1):O}: appointment outside the calendar"));

        // I2: cumulative per centre, vaccine and local day, from the deliveries and the appointments themselves.
        t.I2 = await Count("""
            WITH c AS (SELECT id, stock_origin, book_forecast FROM centres),
            moves AS (
                SELECT d.centre_id, d.vaccine, greatest(d.day, c.stock_origin) AS day, d.doses::bigint AS delta
                FROM deliveries d JOIN c ON c.id = d.centre_id
                WHERE d.status = 'confirmed' OR c.book_forecast
                UNION ALL
                SELECT b.centre_id, b.vaccine, ap.local_day, -1
                FROM appointments ap JOIN bookings b ON b.reference = ap.reference
                WHERE b.status = 'confirmed'),
            per_day AS (SELECT centre_id, vaccine, day, sum(delta) AS delta FROM moves GROUP BY 1, 2, 3),
            running AS (SELECT centre_id, vaccine, day,
                               sum(delta) OVER (PARTITION BY centre_id, vaccine ORDER BY day) AS slack
                        FROM per_day)
            SELECT centre_id, vaccine, day, slack FROM running WHERE slack < 0
            """, r => t.Example($"I2: {r.GetString(0)} {r.GetString(1)} short by {-r.GetInt64(3)} on {r.GetDateTime(2):yyyy-MM-dd}"));
        t.I2 += await Count("""
            SELECT s.centre_id, s.vaccine, s.day, s.booked, coalesce(a.n, 0) FROM stock_days s
            LEFT JOIN (SELECT b.centre_id, b.vaccine, ap.local_day, count(*) AS n FROM appointments ap
                       JOIN bookings b ON b.reference = ap.reference WHERE b.status = 'confirmed' GROUP BY 1, 2, 3) a
              ON a.centre_id = s.centre_id AND a.vaccine = s.vaccine AND a.local_day = s.day
            WHERE s.booked <> coalesce(a.n, 0)
            """, r => t.Example($"I2: {r.GetString(0)} {r.GetString(1)} {r.GetDateTime(2):yyyy-MM-dd}: counter {r.GetInt32(3)} ≠ appointments {r.GetInt64(4)}"));

        // I3: the interval each pair was booked with, and that it is the catalogue's.
        t.I3 = await Count("""
            SELECT b.reference, b.vaccine, b.min_interval, b.max_interval, a2.local_day - a1.local_day
            FROM bookings b
            JOIN appointments a1 ON a1.reference = b.reference AND a1.dose = 1
            JOIN appointments a2 ON a2.reference = b.reference AND a2.dose = 2
            WHERE b.status = 'confirmed'
              AND (a2.local_day - a1.local_day NOT BETWEEN b.min_interval AND b.max_interval
                   OR (b.vaccine, b.min_interval, b.max_interval) NOT IN (('pfizer', 21, 49), ('moderna', 28, 49), ('astrazeneca', 63, 84)))
            """, r => t.Example($"I3: {r.GetString(0)} {r.GetString(1)} dose 2 after {r.GetInt32(4)} days, window {r.GetInt32(2)}–{r.GetInt32(3)}"));

        // I4: one active booking per identity.
        t.I4 = await Count("SELECT identity_key, count(*) FROM bookings WHERE status = 'confirmed' GROUP BY 1 HAVING count(*) > 1",
            r => t.Example($"I4: identity {Short(r.GetString(0))} holds {r.GetInt64(1)} active bookings"));

        var wanted = confirmed.ToArray();
        var found = await ReferencesIn(conn, "SELECT reference FROM bookings WHERE reference = ANY($1)", wanted);
        await CheckConfirmationSms(conn, wanted, t);
        foreach (var reference in wanted.Where(r => !found.Contains(r)))
        {
            t.Refs++;
            t.Example($"durability: {reference} got a 201 but is not in bookings");
        }
        await using (var cmd = new NpgsqlCommand("SELECT status, count(*) FROM bookings GROUP BY 1", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                facts["bookings " + reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        facts["201 references checked"] = confirmed.Count;
        return new AuditResult("baseline", 0, Checks(t, grains: false), facts, t.Examples);
    }
}
