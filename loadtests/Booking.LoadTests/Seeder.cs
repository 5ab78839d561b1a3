using System.Diagnostics;
using System.Text.Json;

namespace Booking.LoadTests;

public sealed record OpeningPeriod(string Day, string Open, string Close);

public sealed record SeededDelivery(string Id, string Vaccine, string Date, int Doses);

public sealed record SeededCentre(
    string Id, string Name, string City, string Postcode, double Latitude, double Longitude, string TimeZone,
    int Lines, int SlotMinutes, IReadOnlyList<OpeningPeriod> OpeningHours, IReadOnlyList<string> Vaccines,
    double Weight, bool HotSpot, List<SeededDelivery> Deliveries);

/// <summary>What a seed created, so that later runs and audits know the centres and their deliveries.</summary>
public sealed record SeedManifest(string System, string Target, string Prefix, bool Hot, DateTimeOffset CreatedAt, double StockFactor, List<SeededCentre> Centres)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public long SeatsPerWeek => Centres.Sum(c => Seeder.SeatsPerWeek(c));
}

/// <summary>
/// Builds a national (or hot-spot) set of centres and seeds it through the operator API with
/// bounded concurrency. Sizes are skewed as in January 2021: a few very large city centres,
/// many small ones; mostly Europe/Paris, some overseas zones.
/// </summary>
public static class Seeder
{
    /// <summary>How many days ahead every seeded centre takes bookings.</summary>
    public const int HorizonDays = 28;

    /// <summary>The street address of every seeded centre: only the city and the postcode vary.</summary>
    public const string Address = "1 place de la Mairie";

    private static readonly string[] Overseas = ["America/Cayenne", "Indian/Reunion", "America/Martinique", "America/Guadeloupe", "Indian/Mayotte"];
    private static readonly (string City, string Postcode, double Lat, double Lon)[] Cities =
    [
        ("Paris", "75015", 48.84, 2.29), ("Marseille", "13008", 43.26, 5.38), ("Lyon", "69007", 45.73, 4.83),
        ("Toulouse", "31000", 43.60, 1.44), ("Nice", "06000", 43.70, 7.27), ("Nantes", "44000", 47.22, -1.55),
        ("Strasbourg", "67000", 48.57, 7.75), ("Montpellier", "34000", 43.61, 3.88), ("Bordeaux", "33000", 44.84, -0.58),
        ("Lille", "59000", 50.63, 3.06), ("Rennes", "35000", 48.11, -1.68), ("Reims", "51100", 49.26, 4.03),
        ("Dijon", "21000", 47.32, 5.04), ("Brest", "29200", 48.39, -4.49), ("Limoges", "87000", 45.83, 1.26),
    ];

    private static readonly Dictionary<string, (string City, string Postcode, double Lat, double Lon)> OverseasCities = new()
    {
        ["America/Cayenne"] = ("Cayenne", "97300", 4.94, -52.33),
        ["Indian/Reunion"] = ("Saint-Denis", "97400", -20.88, 55.45),
        ["America/Martinique"] = ("Fort-de-France", "97200", 14.60, -61.07),
        ["America/Guadeloupe"] = ("Pointe-à-Pitre", "97110", 16.24, -61.53),
        ["Indian/Mayotte"] = ("Mamoudzou", "97600", -12.78, 45.23),
    };

    private static readonly string[] Weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
    private static readonly string[] AllDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    /// <summary>Weeks of deliveries: first doses up to 28 days ahead, second doses up to 49 days after them.</summary>
    public const int DeliveryWeeks = 12;

    public static List<SeededCentre> Plan(Options o, string prefix)
    {
        var random = new Random(o.RandomSeed);
        var count = o.Hot ? 100 : o.Centres;
        var centres = new List<SeededCentre>(count);
        for (var i = 0; i < count; i++)
        {
            var id = $"{prefix}-{i + 1:0000}";
            string tier;
            if (o.Hot)
            {
                tier = i < 10 ? "hot" : random.NextDouble() < 0.3 ? "medium" : "small";
            }
            else
            {
                var u = random.NextDouble();
                tier = u < 0.02 ? "mega" : u < 0.10 ? "large" : u < 0.35 ? "medium" : "small";
            }
            var zone = !o.Hot && random.NextDouble() < 0.05 ? Overseas[random.Next(Overseas.Length)] : "Europe/Paris";
            var place = zone == "Europe/Paris" ? Cities[random.Next(Cities.Length)] : OverseasCities[zone];
            var (lines, slot, hours) = tier switch
            {
                "hot" => (20, 5, Hours(AllDays, ("08:00", "20:00"))),
                "mega" => (random.Next(10, 21), 5, Hours(AllDays, ("08:00", "20:00"))),
                "large" => (random.Next(5, 10), 10, Hours(AllDays[..6], ("08:30", "19:00"))),
                "medium" => (random.Next(3, 5), 10, [.. Hours(Weekdays, ("09:00", "18:00")), new OpeningPeriod("Saturday", "09:00", "12:00")]),
                _ => (random.Next(1, 4), random.NextDouble() < 0.5 ? 10 : 15, Hours(Weekdays, ("09:00", "12:30"), ("13:30", "17:30"))),
            };
            string[] vaccines = tier switch
            {
                "hot" or "mega" or "large" => ["pfizer", "moderna"],
                "medium" => random.NextDouble() < 0.7 ? ["pfizer"] : ["pfizer", "moderna"],
                _ => random.NextDouble() switch { < 0.6 => ["pfizer"], < 0.85 => ["moderna"], _ => ["pfizer", "moderna"] },
            };
            var name = $"Centre de vaccination {place.City} {tier} {i + 1}";
            var centre = new SeededCentre(id, name, place.City, place.Postcode,
                place.Lat + (random.NextDouble() - 0.5) * 0.2, place.Lon + (random.NextDouble() - 0.5) * 0.2, zone,
                lines, slot, hours, vaccines, 0, tier == "hot", []);
            centres.Add(centre);
        }
        // Demand follows capacity nationally; in hot mode 80 % of it goes to the 10 hot centres.
        var result = new List<SeededCentre>(count);
        var totalSeats = centres.Sum(c => (double)SeatsPerWeek(c));
        foreach (var c in centres)
        {
            var weight = o.Hot ? (c.HotSpot ? 0.8 / 10 : 0.2 / (count - 10)) : SeatsPerWeek(c) / totalSeats;
            result.Add(c with { Weight = weight });
        }
        return result;
    }

    private static OpeningPeriod[] Hours(IEnumerable<string> days, params (string Open, string Close)[] periods) =>
        days.SelectMany(d => periods.Select(p => new OpeningPeriod(d, p.Open, p.Close))).ToArray();

    public static int SeatsOn(SeededCentre c, DayOfWeek day) =>
        c.OpeningHours.Where(h => h.Day == day.ToString())
            .Sum(h => (int)((TimeOnly.Parse(h.Close) - TimeOnly.Parse(h.Open)).TotalMinutes / c.SlotMinutes)) * c.Lines;

    public static long SeatsPerWeek(SeededCentre c) => Enum.GetValues<DayOfWeek>().Sum(d => (long)SeatsOn(c, d));

    /// <summary>Weekly deliveries for each vaccine: the week's seats shared between the vaccines, times the stock factor.</summary>
    public static List<(string Vaccine, DateOnly Date, int Doses)> Deliveries(SeededCentre c, DateOnly today, double stockFactor)
    {
        var list = new List<(string, DateOnly, int)>();
        for (var week = 0; week < DeliveryWeeks; week++)
        {
            var start = today.AddDays(7 * week);
            var seats = Enumerable.Range(0, 7).Sum(d => SeatsOn(c, start.AddDays(d).DayOfWeek));
            foreach (var vaccine in c.Vaccines)
            {
                var doses = (int)Math.Round(seats * stockFactor / c.Vaccines.Count);
                if (doses > 0)
                {
                    list.Add((vaccine, start, doses));
                }
            }
        }
        return list;
    }

    public static async Task<SeedManifest> Run(Options o, Api api, string prefix, TextWriter log, CancellationToken ct)
    {
        var plan = Plan(o, prefix);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var watch = Stopwatch.StartNew();
        var failures = 0;
        var requests = 0;
        var done = 0;
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        log.WriteLine($"seed: {plan.Count} centres ({plan.Sum(c => c.Lines)} lines, {plan.Sum(SeatsPerWeek):N0} seats/week) on {api.Target} " +
                      $"with {o.SeedConcurrency} requests in parallel, stock factor {o.StockFactor}");
        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = o.SeedConcurrency, CancellationToken = ct }, async (c, token) =>
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                name = c.Name,
                address = Address,
                postcode = c.Postcode,
                city = c.City,
                latitude = c.Latitude,
                longitude = c.Longitude,
                timeZone = c.TimeZone,
                lines = c.Lines,
                slotMinutes = c.SlotMinutes,
                openingHours = c.OpeningHours,
                closedDates = Array.Empty<string>(),
                vaccines = c.Vaccines,
                bookingHorizonDays = HorizonDays,
            }, SeedManifest.Json);
            var put = await Retry(() => api.PutCentre(c.Id, body, token), token);
            Interlocked.Increment(ref requests);
            outcomes.AddOrUpdate("PUT centre " + put.Outcome, 1, (_, n) => n + 1);
            if (!put.Ok)
            {
                Interlocked.Increment(ref failures);
                return;
            }
            foreach (var (vaccine, date, doses) in Deliveries(c, today, o.StockFactor))
            {
                var d = JsonSerializer.SerializeToUtf8Bytes(new { vaccine, date = date.ToString("yyyy-MM-dd"), doses, status = "confirmed" }, SeedManifest.Json);
                var posted = await Retry(() => api.PostDelivery(c.Id, d, token), token);
                Interlocked.Increment(ref requests);
                outcomes.AddOrUpdate("POST delivery " + posted.Outcome, 1, (_, n) => n + 1);
                if (!posted.Ok || Api.TopLevelString(posted.Body, "deliveryId") is not { } deliveryId)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }
                lock (c.Deliveries)
                {
                    c.Deliveries.Add(new SeededDelivery(deliveryId, vaccine, date.ToString("yyyy-MM-dd"), doses));
                }
            }
            var n = Interlocked.Increment(ref done);
            if (n % 200 == 0)
            {
                log.WriteLine($"seed: {n}/{plan.Count} centres, {Volatile.Read(ref requests):N0} requests, {watch.Elapsed.TotalSeconds:F1} s");
            }
        });
        log.WriteLine($"seed: done in {watch.Elapsed.TotalSeconds:F1} s, {requests:N0} requests ({requests / watch.Elapsed.TotalSeconds:N0}/s), {failures} failures");
        foreach (var (k, v) in outcomes.OrderBy(p => p.Key))
        {
            log.WriteLine($"  {k}: {v:N0}");
        }
        if (failures > 0)
        {
            throw new InvalidOperationException($"Seeding failed for {failures} requests.");
        }
        return new SeedManifest(o.System.ToString().ToLowerInvariant(), api.Target.ToString(), prefix, o.Hot, DateTimeOffset.UtcNow, o.StockFactor, plan);
    }

    /// <summary>Retries overload answers (429, 503) and lost answers a few times; every other answer is final.</summary>
    private static async Task<CallResult> Retry(Func<Task<CallResult>> call, CancellationToken ct)
    {
        CallResult result = default;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            result = await call();
            if (result.Status is not (0 or 429 or 503))
            {
                return result;
            }
            await Task.Delay(200 * (attempt + 1), ct);
        }
        return result;
    }

    public static string DefaultPrefix(bool hot) => (hot ? "h" : "n") + DateTime.UtcNow.ToString("MMddHHmmss");

    public static string ManifestPath(string reportsRoot, SystemKind system, bool hot) =>
        Path.Combine(reportsRoot, "manifests", $"latest-{system.ToString().ToLowerInvariant()}-{(hot ? "hot" : "national")}.json");

    public static async Task<string> Save(SeedManifest manifest, string reportsRoot, SystemKind system)
    {
        var dir = Path.Combine(reportsRoot, "manifests");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{manifest.System}-{manifest.Prefix}.json");
        await File.WriteAllBytesAsync(path, JsonSerializer.SerializeToUtf8Bytes(manifest, SeedManifest.Json));
        File.Copy(path, ManifestPath(reportsRoot, system, manifest.Hot), overwrite: true);
        return path;
    }

    public static async Task<SeedManifest> Load(string path) =>
        JsonSerializer.Deserialize<SeedManifest>(await File.ReadAllBytesAsync(path), SeedManifest.Json)
        ?? throw new InvalidOperationException($"Empty manifest {path}.");
}
