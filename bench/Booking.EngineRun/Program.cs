using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Booking.Abstractions;
using Booking.Api.Apis;
using Booking.Api.Infrastructure;
using Booking.EngineRun;
using Booking.Grains.Idempotency;
using Booking.LoadTests;
using HdrHistogram;
using Npgsql;

// The booking engine without HTTP: the silo, its ledger writer, shards, read model and publication
// exactly as Booking.Api hosts them, driven by callers in this process that do what the booking
// handler does after it has read the request (identity keys, the protected contact, the request's
// fingerprint, the idempotency shard). Against a launch-day run over HTTP, the difference is what
// Kestrel, the middleware, JSON and the load tool cost.
var run = EngineRunOptions.Parse(args);
if (run is null)
{
    Console.Error.WriteLine(EngineRunOptions.Usage);
    return 2;
}

var builder = WebApplication.CreateBuilder();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:Booking"] = run.Database,
    ["Booking:IdentitySecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    ["Logging:LogLevel:Default"] = "Warning",
    // A cluster of its own, on ports of its own: it must never join (or be joined by) an API's silo.
    ["Orleans:ClusterId"] = "engine-run",
    ["Orleans:SiloPort"] = "11151",
    ["Orleans:GatewayPort"] = "30051",
});
// Nothing is served over HTTP; the host still needs an address, and only loopback is used.
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.AddBookingEngine().AddBookingApi();
await using var app = builder.Build();
await app.StartAsync();

await using (var count = app.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM centres"))
{
    // Shards and centres are single activations per database: another cluster's data would be served twice.
    if ((long)(await count.ExecuteScalarAsync())! > 0)
    {
        Console.Error.WriteLine("The database already has centres: give the engine run a database of its own.");
        await app.StopAsync();
        return 3;
    }
}

var services = app.Services.GetRequiredService<BookingServices>();

var plan = Seeder.Plan(new Options { Centres = run.Centres, Hot = run.Hot }, "er" + DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture));
var today = DateOnly.FromDateTime(DateTime.UtcNow);
var seeding = Stopwatch.StartNew();
await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (centre, _) =>
{
    var grain = services.Grains.Centre(centre.Id);
    var configured = await grain.Configure(Definition(centre));
    if (!configured.Succeeded)
    {
        throw new InvalidOperationException($"{centre.Id} was refused: {configured.Problem!.Detail}");
    }
    foreach (var (vaccine, date, doses) in Seeder.Deliveries(centre, today, 1.0))
    {
        await grain.AddDelivery(new DeliveryInfo("", vaccine, date, doses, "confirmed"));
    }
});
Console.WriteLine($"seeded {plan.Count} centres in {seeding.Elapsed.TotalSeconds:F1} s");

var callers = new EngineCallers(plan, services, today, TimeSpan.FromSeconds(run.ListingSeconds));
await callers.RunAsync(run.Callers, TimeSpan.FromSeconds(run.WarmUpSeconds), measure: null);
var cpu = new CpuSampler(apiPort: 0, dbPort: run.DatabasePort);
var measured = new Measurement();
cpu.Start();
await callers.RunAsync(run.Callers, TimeSpan.FromSeconds(run.Seconds), measured);
var shares = cpu.Stop();

Console.WriteLine($"callers {run.Callers}, {run.Seconds} s measured after {run.WarmUpSeconds} s of warm-up, {plan.Count} centres{(run.Hot ? " (hot)" : "")}");
Console.WriteLine($"confirmed pairs: {measured.Confirmed:N0} ({measured.Confirmed / (double)run.Seconds:N0}/s)");
foreach (var (outcome, count) in measured.Outcomes.OrderByDescending(o => o.Value))
{
    Console.WriteLine($"  {outcome}: {count:N0}");
}
if (measured.Outcomes.GetValueOrDefault("no free slot listed") > measured.Confirmed / 100)
{
    Console.WriteLine("note: some centres ran out of seats in their 28 days; fewer centres or a shorter run measure the engine, not an empty calendar.");
}
var h = measured.Latency;
double Ms(double percentile) => h.GetValueAtPercentile(percentile) / (Stopwatch.Frequency / 1000.0);
Console.WriteLine($"booking latency ms: p50 {Ms(50):F2}  p90 {Ms(90):F2}  p99 {Ms(99):F2}  p99.9 {Ms(99.9):F2}  max {h.GetMaxValue() / (Stopwatch.Frequency / 1000.0):F2}");
Console.WriteLine("CPU (cores): " + string.Join(", ", shares.Select(s => $"{(s.Key == "load tool" ? "this process (engine and callers)" : s.Key)} {s.Value:F2}")));
await app.StopAsync();
return 0;

static CentreDefinition Definition(SeededCentre c) => new(
    c.Name, Seeder.Address, c.Postcode, c.City, c.Latitude, c.Longitude, c.TimeZone, c.Lines, c.SlotMinutes,
    c.OpeningHours.Select(h => new Booking.Abstractions.OpeningPeriod(Enum.Parse<DayOfWeek>(h.Day), TimeOnly.Parse(h.Open, CultureInfo.InvariantCulture), TimeOnly.Parse(h.Close, CultureInfo.InvariantCulture))).ToArray(),
    [], c.Vaccines.ToArray(), Seeder.HorizonDays, false);

namespace Booking.EngineRun
{
    /// <summary>What one measured phase saw: confirmed pairs, every outcome, booking latency in stopwatch ticks.</summary>
    internal sealed class Measurement
    {
        private readonly Lock _gate = new();

        public long Confirmed;

        public Dictionary<string, long> Outcomes { get; } = new();

        public LongHistogram Latency { get; } = new(Stopwatch.Frequency * 60, 3);

        /// <summary>A booking's answer and how long it took.</summary>
        public void Record(string outcome, long ticks, bool confirmed)
        {
            lock (_gate)
            {
                Outcomes[outcome] = Outcomes.GetValueOrDefault(outcome) + 1;
                Latency.RecordValue(Math.Max(1, ticks));
                if (confirmed)
                {
                    Confirmed++;
                }
            }
        }

        /// <summary>An attempt that sent no booking.</summary>
        public void Skipped(string outcome)
        {
            lock (_gate)
            {
                Outcomes[outcome] = Outcomes.GetValueOrDefault(outcome) + 1;
            }
        }
    }

    /// <summary>
    /// Closed-loop callers: each picks a centre by the plan's demand weights, a free first-dose slot
    /// from that centre's listing (read again once <c>listingAge</c> old, or when nothing free is left), and books
    /// it for a new person through an idempotency shard, as every booking of the load tool does.
    /// </summary>
    internal sealed class EngineCallers(
        List<SeededCentre> plan, BookingServices services, DateOnly today, TimeSpan listingAge)
    {
        private readonly DemandWeights _demand = new(plan);
        private readonly Dictionary<(int, string), Listing> _listings = new();
        private long _people;

        public async Task RunAsync(int callers, TimeSpan duration, Measurement? measure)
        {
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < until)
                {
                    await BookOneAsync(measure);
                }
            })));
        }

        private async Task BookOneAsync(Measurement? measure)
        {
            var index = _demand.Pick();
            var centre = plan[index];
            var vaccine = centre.Vaccines[Random.Shared.Next(centre.Vaccines.Count)];
            Listing listing;
            lock (_listings)
            {
                if (!_listings.TryGetValue((index, vaccine), out listing!))
                {
                    _listings[(index, vaccine)] = listing = new Listing(listingAge, today);
                }
            }
            var slots = await listing.CurrentAsync(from => services.Grains.Centre(centre.Id).FirstDoseSlots(vaccine, from, from.AddDays(6)));
            var slot = Choose(slots);
            if (slot is null)
            {
                measure?.Skipped("no free slot listed");
                if (listing.Expire())
                {
                    // Nothing free in the whole horizon: the centre is full, and trying again at once would only spin.
                    await Task.Delay(100);
                }
                return;
            }
            var n = Interlocked.Increment(ref _people);
            var first = "Camille";
            var last = "Engine " + n.ToString(CultureInfo.InvariantCulture);
            var birth = new DateOnly(1940, 1, 1).AddDays(Random.Shared.Next(0, 23_000));
            var phone = "+33612" + Random.Shared.Next(0, 1_000_000).ToString("000000", CultureInfo.InvariantCulture);
            var sent = Stopwatch.GetTimestamp();
            var citizen = BookingsApi.Keys(services, first, last, birth, phone, email: null);
            var body = new CreateBookingRequest(centre.Id, vaccine, slot.Start.ToString("O", CultureInfo.InvariantCulture), null,
                new CitizenRequest(first, last, birth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), phone, null, null));
            var tag = new IdempotencyTag("engine-run", "er-" + n.ToString(CultureInfo.InvariantCulture),
                services.Identity.Fingerprint(JsonSerializer.SerializeToUtf8Bytes(body)));
            var answer = await services.Grains.IdempotencyShard(IdempotencyShardGrain.ShardOf(tag))
                .Book(centre.Id, new BookPairCommand(vaccine, slot.Start, null, citizen, tag));
            var ticks = Stopwatch.GetTimestamp() - sent;
            var problem = answer.Fresh?.Problem;
            if (answer.Fresh?.Value is not null)
            {
                Interlocked.Decrement(ref slot.Remaining);
            }
            measure?.Record(problem is null ? "confirmed" : "refused: " + problem.Kind, ticks, confirmed: problem is null);
        }

        /// <summary>A free slot, earlier ones more likely, as people take the first they can get.</summary>
        private static FreeSlot? Choose(FreeSlot[] slots)
        {
            var notBefore = DateTimeOffset.UtcNow.AddMinutes(2);
            for (var attempt = 0; attempt < 8 && slots.Length > 0; attempt++)
            {
                var u = Random.Shared.NextDouble();
                var slot = slots[(int)(u * u * slots.Length)];
                if (Volatile.Read(ref slot.Remaining) > 0 && slot.Start > notBefore)
                {
                    return slot;
                }
            }
            return null;
        }
    }

    internal sealed class FreeSlot(DateTimeOffset start, int remaining)
    {
        public DateTimeOffset Start { get; } = start;

        public int Remaining = remaining;
    }

    /// <summary>A centre's listing for one vaccine, kept for <c>maxAge</c> or until no free slot is found in it; one read at a time.</summary>
    internal sealed class Listing(TimeSpan maxAge, DateOnly today)
    {
        private readonly long _maxAgeTicks = (long)(maxAge.TotalSeconds * Stopwatch.Frequency);
        private FreeSlot[] _slots = [];
        private readonly Lock _gate = new();
        private long? _readAt;
        private Task<FreeSlot[]>? _pending;
        private int _weekStart;
        private bool _full;

        /// <summary>Read again at the next use; true when the last read found nothing free up to the horizon.</summary>
        public bool Expire()
        {
            lock (_gate)
            {
                _readAt = null;
                return _full;
            }
        }

        /// <param name="readWeekFrom">The centre's listing of the 7 days from a date.</param>
        public async Task<FreeSlot[]> CurrentAsync(Func<DateOnly, Task<SlotListing?>> readWeekFrom)
        {
            Task<FreeSlot[]> pending;
            lock (_gate)
            {
                if (_readAt is { } readAt && Stopwatch.GetTimestamp() - readAt < _maxAgeTicks)
                {
                    return _slots;
                }
                pending = _pending ??= ReadAsync(readWeekFrom);
            }
            return await pending;
        }

        /// <summary>The earliest week with a free slot, moving on when a week is gone, up to the 28-day horizon.</summary>
        private async Task<FreeSlot[]> ReadAsync(Func<DateOnly, Task<SlotListing?>> readWeekFrom)
        {
            await Task.Yield();
            FreeSlot[] slots = [];
            var weekStart = _weekStart;
            for (; weekStart < Seeder.HorizonDays; weekStart += 7)
            {
                var listing = await readWeekFrom(today.AddDays(weekStart));
                slots = listing is null ? [] : FreeSlots(listing);
                if (slots.Length > 0)
                {
                    break;
                }
            }
            lock (_gate)
            {
                _slots = slots;
                _full = slots.Length == 0;
                _weekStart = Math.Min(weekStart, Seeder.HorizonDays - 7);
                _readAt = Stopwatch.GetTimestamp();
                _pending = null;
            }
            return slots;
        }

        /// <summary>The listing's free slots, read token by token over its parts: the instrument should
        /// cost the machine little beside the engine it measures.</summary>
        internal static FreeSlot[] FreeSlots(SlotListing listing)
        {
            var reader = new Utf8JsonReader(Sequence(listing.Parts));
            var slots = new List<FreeSlot>();
            DateTimeOffset start = default;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 2)
                {
                    continue;
                }
                if (reader.ValueTextEquals("start"u8))
                {
                    reader.Read();
                    start = reader.GetDateTimeOffset();
                }
                else if (reader.ValueTextEquals("remaining"u8))
                {
                    reader.Read();
                    if (reader.GetInt32() is var remaining and > 0)
                    {
                        slots.Add(new FreeSlot(start, remaining));
                    }
                }
            }
            return [.. slots];
        }

        private static ReadOnlySequence<byte> Sequence(byte[][] parts)
        {
            if (parts.Length == 1)
            {
                return new ReadOnlySequence<byte>(parts[0]);
            }
            var first = new Part(parts[0], 0);
            var last = first;
            for (var i = 1; i < parts.Length; i++)
            {
                last = last.Append(parts[i]);
            }
            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }

        private sealed class Part : ReadOnlySequenceSegment<byte>
        {
            public Part(byte[] bytes, long runningIndex)
            {
                Memory = bytes;
                RunningIndex = runningIndex;
            }

            public Part Append(byte[] bytes)
            {
                var next = new Part(bytes, RunningIndex + Memory.Length);
                Next = next;
                return next;
            }
        }
    }

    internal sealed record EngineRunOptions(string Database, int DatabasePort, int Callers, int Seconds, int WarmUpSeconds, int Centres, bool Hot, double ListingSeconds)
    {
        public const string Usage =
            "usage: Booking.EngineRun --db <connection string> [--callers 64] [--duration 20] [--warmup 10] [--centres 1300] [--hot] [--listing-seconds 1]";

        public static EngineRunOptions? Parse(string[] args)
        {
            string? db = null;
            int callers = 64, seconds = 20, warmUp = 10, centres = 1300;
            var hot = false;
            var listingSeconds = 1.0;
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : "";
                var known = args[i] switch
                {
                    "--db" => (db = Next()) is { Length: > 0 },
                    "--callers" => int.TryParse(Next(), CultureInfo.InvariantCulture, out callers),
                    "--duration" => int.TryParse(Next(), CultureInfo.InvariantCulture, out seconds),
                    "--warmup" => int.TryParse(Next(), CultureInfo.InvariantCulture, out warmUp),
                    "--centres" => int.TryParse(Next(), CultureInfo.InvariantCulture, out centres),
                    "--hot" => hot = true,
                    "--listing-seconds" => double.TryParse(Next(), CultureInfo.InvariantCulture, out listingSeconds),
                    _ => false,
                };
                if (!known)
                {
                    return null;
                }
            }
            if (db is null || callers is < 1 or > 10_000 || seconds < 1 || warmUp < 0 || centres is < 10 or > 100_000 || listingSeconds is < 0.1 or > 600)
            {
                return null;
            }
            int port;
            try
            {
                port = new NpgsqlConnectionStringBuilder(db).Port;
            }
            catch (ArgumentException)
            {
                return null;
            }
            return new EngineRunOptions(db, port, callers, seconds, warmUp, centres, hot, listingSeconds);
        }
    }
}
