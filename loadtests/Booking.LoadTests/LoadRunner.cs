using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Booking.LoadTests;

/// <summary>
/// The open model. Arrivals are computed from the clock (the target rate with its ramp), not from
/// answers: a slow server does not lower the offered load. Each arrival is an independent flow
/// (listing from a short per-centre cache, then a booking), alongside which come slot listings
/// and centre searches of people who are only looking; in-flight flows are capped and the
/// arrivals over the cap are counted as dropped. Cancellations and reschedules are scheduled
/// after confirmations; an optional supply cut hits the busiest centres at half time.
/// </summary>
public sealed class LoadRunner
{
    private static readonly string[] FirstNames = ["Élodie", "Jean-Pierre", "Marie", "Nicolas", "Camille", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Théo", "Zoé"];
    private static readonly string[] LastNames = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "N'Diaye"];

    private readonly Options _o;
    private readonly Api _api;
    private readonly SeedManifest _manifest;
    private readonly Metrics _m;
    private readonly DemandWeights _demand;
    private readonly int[] _confirmedPerCentre;
    private readonly ConcurrentDictionary<(int Centre, string Vaccine), Listing> _listings = new();
    private readonly PriorityQueue<Action, long> _followUps = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly string _runTag;
    private readonly DateOnly _today = DateOnly.FromDateTime(DateTime.UtcNow);
    private readonly long _listingTtlTicks;
    private long _people;

    public LoadRunner(Options o, Api api, SeedManifest manifest, Metrics metrics)
    {
        _o = o;
        _api = api;
        _manifest = manifest;
        _m = metrics;
        _demand = new DemandWeights(manifest.Centres);
        _confirmedPerCentre = new int[manifest.Centres.Count];
        _runTag = Letters(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000_000);
        _listingTtlTicks = (long)(o.ListingTtl * Stopwatch.Frequency);
    }

    /// <summary>The reference of every booking answered 201, for the audit. Only the reference: kept to the
    /// end of a run, anything more per booking was most of what the tool's gen1 collections copied.</summary>
    public ConcurrentQueue<string> ConfirmedReferences { get; } = new();

    public List<string> Notes { get; } = [];

    public string RunTag => _runTag;

    /// <summary>Runs the arrivals for the duration, then waits (bounded) for the flows still in flight.</summary>
    public async Task Run()
    {
        var dispatcher = new Thread(Dispatch) { IsBackground = true, Name = "arrivals", Priority = ThreadPriority.AboveNormal };
        dispatcher.Start();
        await Task.Run(() => dispatcher.Join());
        var deadline = Stopwatch.GetTimestamp() + (long)(_o.Drain * Stopwatch.Frequency);
        while (Interlocked.Read(ref _m.InFlight) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50);
        }
        var left = Interlocked.Read(ref _m.InFlight);
        if (left > 0)
        {
            Notes.Add($"{left} flows were still in flight {_o.Drain} s after the end and were cancelled.");
            await _abort.CancelAsync();
            var hard = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
            while (Interlocked.Read(ref _m.InFlight) > 0 && Stopwatch.GetTimestamp() < hard)
            {
                await Task.Delay(50);
            }
        }
    }

    private void Dispatch()
    {
        var freq = (double)Stopwatch.Frequency;
        var start = _m.Start;
        var end = start + (long)(_o.Duration * freq);
        long bookings = 0, browses = 0, searches = 0;
        var cutDone = !_o.SupplyCut;
        var rate = _o.Rate;
        var browseRate = _o.Rate * _o.Browse;
        var searchRate = _o.Rate * _o.SearchesPerBooking;
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }
            var t = (now - start) / freq;
            var due = (long)Arrivals(t, rate, _o.Ramp);
            for (; bookings < due; bookings++)
            {
                var intended = start + (long)(ArrivalTime(bookings, rate, _o.Ramp) * freq);
                _m.Count(_m.Offered, intended);
                Launch(intended, static (r, ts) => r.BookFlow(ts));
            }
            var browseDue = (long)Arrivals(t, browseRate, _o.Ramp);
            for (; browses < browseDue; browses++)
            {
                var intended = start + (long)(ArrivalTime(browses, browseRate, _o.Ramp) * freq);
                Launch(intended, static (r, ts) => r.BrowseFlow(ts), "browse");
            }
            var searchDue = (long)Arrivals(t, searchRate, _o.Ramp);
            for (; searches < searchDue; searches++)
            {
                var intended = start + (long)(ArrivalTime(searches, searchRate, _o.Ramp) * freq);
                Launch(intended, static (r, ts) => r.SearchFlow(ts), "search");
            }
            lock (_followUps)
            {
                while (_followUps.TryPeek(out var action, out var at) && at <= now)
                {
                    _followUps.Dequeue();
                    action();
                }
            }
            if (!cutDone && t >= _o.Duration / 2)
            {
                cutDone = true;
                Launch(now, static (r, _) => r.SupplyCutFlow(), "supply-cut");
            }
            Thread.Sleep(1);
        }
    }

    /// <summary>Arrivals expected by time <paramref name="t"/>: a linear ramp to the rate, then the rate.</summary>
    internal static double Arrivals(double t, double rate, double ramp)
    {
        return ramp <= 0 ? rate * t : t < ramp ? rate * t * t / (2 * ramp) : rate * ramp / 2 + rate * (t - ramp);
    }

    /// <summary>When arrival number <paramref name="k"/> is due: the inverse of <see cref="Arrivals"/>.</summary>
    internal static double ArrivalTime(long k, double rate, double ramp)
    {
        if (ramp <= 0)
        {
            return k / rate;
        }
        var rampArrivals = rate * ramp / 2;
        return k < rampArrivals ? Math.Sqrt(2 * ramp * k / rate) : ramp + (k - rampArrivals) / rate;
    }

    private void Launch(long intended, Func<LoadRunner, long, Task> flow, string kind = "book")
    {
        if (Interlocked.Increment(ref _m.InFlight) > _o.MaxInFlight)
        {
            Interlocked.Decrement(ref _m.InFlight);
            if (kind == "book")
            {
                _m.Count(_m.Dropped, intended);
            }
            _m.Outcome($"{kind} dropped (in-flight cap)");
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static s =>
        {
            var (runner, ts, f) = s;
            _ = runner.Guarded(f, ts);
        }, (this, intended, flow), preferLocal: false);
    }

    private async Task Guarded(Func<LoadRunner, long, Task> flow, long intended)
    {
        try
        {
            await flow(this, intended);
        }
        catch (OperationCanceledException)
        {
            _m.Outcome("cancelled at end");
        }
        catch (Exception e)
        {
            _m.Outcome("client exception " + e.GetType().Name);
        }
        finally
        {
            Interlocked.Decrement(ref _m.InFlight);
        }
    }

    private async Task BookFlow(long intended)
    {
        var ct = _abort.Token;
        var index = _demand.Pick();
        var centre = _manifest.Centres[index];
        var vaccine = centre.Vaccines[Random.Shared.Next(centre.Vaccines.Count)];
        var listing = _listings.GetOrAdd((index, vaccine), _ => new Listing());
        var slots = await CurrentSlots(listing, centre.Id, vaccine, ct);
        if (Choose(slots) is not { } slot)
        {
            _m.Outcome("book skipped: no free slot listed");
            _m.Count(_m.BookingErrors, Stopwatch.GetTimestamp());
            return;
        }
        var n = Interlocked.Increment(ref _people);
        var first = FirstNames[n % FirstNames.Length];
        var last = LastNames[(n / FirstNames.Length) % LastNames.Length] + "-" + _runTag + " " + Letters(n);
        var birth = new DateOnly(1940, 1, 1).AddDays(Random.Shared.Next(0, 23_000)).ToString("yyyy-MM-dd");
        var phone = "+33612" + Random.Shared.Next(0, 1_000_000).ToString("000000");
        var body = Encoding.UTF8.GetBytes(
            $$$"""{"centreId":"{{{centre.Id}}}","vaccine":"{{{vaccine}}}","firstDose":"{{{slot.Start}}}","secondDose":null,"citizen":{"firstName":"{{{first}}}","lastName":"{{{last}}}","birthDate":"{{{birth}}}","phone":"{{{phone}}}","email":null}}""");
        var sent = Stopwatch.GetTimestamp();
        var result = await _api.Book(body, $"lt-{_runTag}-{n}", ct);
        var done = Stopwatch.GetTimestamp();
        _m.Booking.Record(sent, done);
        _m.Flow.Record(intended, done);
        _m.Outcome("book " + result.Outcome);
        if (result.Status == 201 && Api.TopLevelString(result.Body, "reference") is { } reference)
        {
            _m.ConfirmedBooking.Record(sent, done);
            _m.Count(_m.Confirmed, done);
            Interlocked.Increment(ref _confirmedPerCentre[index]);
            Interlocked.Decrement(ref slot.Remaining);
            ConfirmedReferences.Enqueue(reference);
            ScheduleFollowUp(reference, index, vaccine, birth, slot.Start, done);
            return;
        }
        _m.Count(_m.BookingErrors, done);
        if (result.Status == 409)
        {
            _m.Count(_m.Contention, done);
            if (result.ProblemType == "slot-full")
            {
                Volatile.Write(ref slot.Remaining, 0);
            }
        }
    }

    private void ScheduleFollowUp(string reference, int index, string vaccine, string birth, string firstDose, long now)
    {
        var u = Random.Shared.NextDouble();
        if (u >= _o.Cancel + _o.Reschedule)
        {
            return;
        }
        var at = now + (long)((1 + 4 * Random.Shared.NextDouble()) * Stopwatch.Frequency);
        if (at >= _m.Start + (long)(_o.Duration * Stopwatch.Frequency))
        {
            return;
        }
        Action action = u < _o.Cancel
            ? () => Launch(at, (r, ts) => r.CancelFlow(reference, birth, ts), "cancel")
            : () => Launch(at, (r, ts) => r.RescheduleFlow(reference, index, vaccine, birth, firstDose, ts), "reschedule");
        lock (_followUps)
        {
            _followUps.Enqueue(action, at);
        }
    }

    private async Task CancelFlow(string reference, string birth, long intended)
    {
        var sent = Stopwatch.GetTimestamp();
        var result = await _api.CancelBooking(reference, birth, _abort.Token);
        _m.Cancel.Record(sent, Stopwatch.GetTimestamp());
        _m.Outcome("cancel " + result.Outcome);
    }

    private async Task RescheduleFlow(string reference, int index, string vaccine, string birth, string currentFirst, long intended)
    {
        var centre = _manifest.Centres[index];
        var listing = _listings.GetOrAdd((index, vaccine), _ => new Listing());
        var slots = await CurrentSlots(listing, centre.Id, vaccine, _abort.Token);
        if (Choose(slots, except: currentFirst) is not { } slot)
        {
            _m.Outcome("reschedule skipped: no free slot listed");
            return;
        }
        var body = Encoding.UTF8.GetBytes($$"""{"firstDose":"{{slot.Start}}","secondDose":null}""");
        var sent = Stopwatch.GetTimestamp();
        var result = await _api.RescheduleBooking(reference, birth, body, _abort.Token);
        _m.Reschedule.Record(sent, Stopwatch.GetTimestamp());
        _m.Outcome("reschedule " + result.Outcome);
        if (result.Ok)
        {
            Interlocked.Decrement(ref slot.Remaining);
        }
    }

    private async Task BrowseFlow(long intended)
    {
        var index = _demand.Pick();
        var centre = _manifest.Centres[index];
        var vaccine = centre.Vaccines[Random.Shared.Next(centre.Vaccines.Count)];
        var from = _today.AddDays(7 * Random.Shared.Next(0, 4));
        var sent = Stopwatch.GetTimestamp();
        var result = await _api.Slots(centre.Id, vaccine, from, from.AddDays(_o.ListingDays - 1), _abort.Token);
        var done = Stopwatch.GetTimestamp();
        _m.Listing.Record(sent, done);
        _m.Count(_m.Listings, done);
        _m.Outcome("browse " + result.Outcome);
    }

    /// <summary>
    /// A citizen looking for centres near home: the point is drawn around a centre chosen with the
    /// demand's weights (people live where the big centres are), the radius and the vaccine filter
    /// as a portal's search form offers them.
    /// </summary>
    private async Task SearchFlow(long intended)
    {
        var centre = _manifest.Centres[_demand.Pick()];
        var (latitude, longitude) = NearPoint(centre.Latitude, centre.Longitude, HomeDistanceKm, Random.Shared);
        var radius = SearchRadiiKm[Random.Shared.Next(SearchRadiiKm.Length)];
        var vaccine = Random.Shared.Next(2) == 0 ? null : centre.Vaccines[Random.Shared.Next(centre.Vaccines.Count)];
        var sent = Stopwatch.GetTimestamp();
        var result = await _api.SearchCentres(latitude, longitude, radius, vaccine, _abort.Token);
        var done = Stopwatch.GetTimestamp();
        _m.Search.Record(sent, done);
        _m.Count(_m.Searches, done);
        _m.Outcome("search " + result.Outcome);
    }

    /// <summary>How far from the centre they end up choosing people search from.</summary>
    internal const double HomeDistanceKm = 15;
    private static readonly int[] SearchRadiiKm = [10, 25, 50];

    /// <summary>A point drawn evenly over the disc of <paramref name="radiusKm"/> around a place.</summary>
    internal static (double Latitude, double Longitude) NearPoint(double latitude, double longitude, double radiusKm, Random random)
    {
        const double KmPerDegree = 111.195;
        var distance = radiusKm * Math.Sqrt(random.NextDouble());
        var bearing = 2 * Math.PI * random.NextDouble();
        var lat = latitude + distance * Math.Cos(bearing) / KmPerDegree;
        var lon = longitude + distance * Math.Sin(bearing) / (KmPerDegree * Math.Cos(latitude * Math.PI / 180));
        // Back into -180..180 however far the point went round (near a pole, a few km are many degrees).
        var wrapped = ((lon + 180) % 360 + 360) % 360 - 180;
        return (Math.Clamp(lat, -90, 90), wrapped);
    }

    /// <summary>Half-way through: the busiest centres' first delivery shrinks to 5 % and the plan is applied.</summary>
    private async Task SupplyCutFlow()
    {
        var busiest = Enumerable.Range(0, _confirmedPerCentre.Length)
            .OrderByDescending(i => Volatile.Read(ref _confirmedPerCentre[i]))
            .Take(5)
            .Where(i => _manifest.Centres[i].Deliveries.Count > 0)
            .ToList();
        foreach (var i in busiest)
        {
            var centre = _manifest.Centres[i];
            var delivery = centre.Deliveries.OrderBy(d => d.Date, StringComparer.Ordinal).First();
            var doses = delivery.Doses * 5 / 100;
            var body = Encoding.UTF8.GetBytes($$"""{"doses":{{doses}},"apply":true}""");
            var result = await _api.ChangeDelivery(centre.Id, delivery.Id, body, _abort.Token);
            var postponed = 0;
            if (result.Body is { } b && result.Ok)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(b);
                if (doc.RootElement.TryGetProperty("postpone", out var p))
                {
                    postponed = p.GetArrayLength();
                }
            }
            _m.Outcome("supply-cut " + result.Outcome);
            lock (Notes)
            {
                Notes.Add($"supply cut at {_m.Elapsed:F0} s: {centre.Id} delivery {delivery.Id} ({delivery.Vaccine} {delivery.Date}) {delivery.Doses} → {doses} doses: {result.Outcome}, {postponed} appointments postponed");
            }
        }
    }

    /// <summary>The listing of a centre and vaccine, from the cache while fresh; one fetch at a time per entry.</summary>
    private async Task<ListedSlots> CurrentSlots(Listing listing, string centreId, string vaccine, CancellationToken ct)
    {
        Task<ListedSlots> pending;
        lock (listing)
        {
            var age = Stopwatch.GetTimestamp() - listing.FetchedAt;
            // A listing with nothing bookable left is fetched again early, but not more than 5 times a second.
            if (listing.Slots is { } slots && age < _listingTtlTicks
                && (age <= Stopwatch.Frequency / 5 || slots.AnyBookable(DateTimeOffset.UtcNow + StartMargin)))
            {
                return slots;
            }
            pending = listing.Pending ??= Fetch(listing, centreId, vaccine, ct);
        }
        return await pending;
    }

    private async Task<ListedSlots> Fetch(Listing listing, string centreId, string vaccine, CancellationToken ct)
    {
        await Task.Yield();
        var slots = ListedSlots.Empty;
        try
        {
            // The earliest week with free slots, moving on when a week is gone (bounded: the 28-day horizon).
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var from = _today.AddDays(listing.WindowStart);
                var sent = Stopwatch.GetTimestamp();
                var (result, listed) = await _api.ListSlots(centreId, vaccine, from, from.AddDays(_o.ListingDays - 1), ct);
                var done = Stopwatch.GetTimestamp();
                _m.Listing.Record(sent, done);
                _m.Count(_m.Listings, done);
                _m.Outcome("list " + result.Outcome);
                if (!result.Ok)
                {
                    break;
                }
                slots = listed;
                if (slots.Count > 0 || listing.WindowStart + _o.ListingDays > 28)
                {
                    break;
                }
                listing.WindowStart += _o.ListingDays;
            }
        }
        finally
        {
            lock (listing)
            {
                listing.Slots = slots;
                listing.FetchedAt = Stopwatch.GetTimestamp();
                listing.Pending = null;
            }
        }
        return slots;
    }

    /// <summary>
    /// A free slot, earlier ones more likely (people take the first they can get), but none that
    /// starts within <see cref="StartMargin"/>: with a listing up to its TTL old and seconds of
    /// queueing in a saturated run, such a slot may have started by the time the centre decides,
    /// and the engine rightly refuses it as a validation error that is the tool's, not the system's.
    /// </summary>
    private static ListedSlot? Choose(ListedSlots slots, string? except = null)
    {
        if (slots.Count == 0)
        {
            return null;
        }
        var notBefore = DateTimeOffset.UtcNow + StartMargin;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var u = Random.Shared.NextDouble();
            var index = (int)(u * u * slots.Count);
            if (slots.IsBookable(index, notBefore, except))
            {
                return slots[index];
            }
        }
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots.IsBookable(i, notBefore, except))
            {
                return slots[i];
            }
        }
        return null;
    }

    private static readonly TimeSpan StartMargin = TimeSpan.FromMinutes(1);

    /// <summary>A number written with letters only, so that names stay names after normalisation.</summary>
    public static string Letters(long n)
    {
        var builder = new StringBuilder();
        do
        {
            builder.Insert(0, (char)('a' + (int)(n % 26)));
            n /= 26;
        }
        while (n > 0);
        return builder.ToString();
    }

    private sealed class Listing
    {
        public ListedSlots? Slots;
        public long FetchedAt;
        public int WindowStart;
        public Task<ListedSlots>? Pending;
    }
}
