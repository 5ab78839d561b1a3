using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Booking.LoadTests;
using Npgsql;

// The launch-day load tool. Scenarios and options: loadtests/README.md (or run with no arguments).
Options o;
try
{
    o = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    return o.Scenario switch
    {
        "seed" => await Scenarios.Seed(o, stop.Token),
        "run" => await Scenarios.Run(o, seedFirst: false, stop.Token),
        "launch" => await Scenarios.Run(o, seedFirst: true, stop.Token),
        "reads" => await Scenarios.Reads(o, stop.Token),
        "audit" => await Scenarios.AuditOnly(o),
        "compare" => await Scenarios.Compare(o, stop.Token),
        "sweep" => await Scenarios.SweepRates(o, stop.Token),
        _ => Scenarios.Usage(),
    };
}
catch (Exception e) when (e is InvalidOperationException or HttpRequestException or NpgsqlException or IOException or OperationCanceledException)
{
    Console.Error.WriteLine($"{o.Scenario} failed: {e.Message}");
    return 3;
}

namespace Booking.LoadTests
{
    public static partial class Scenarios
    {
        public static int Usage()
        {
            Console.WriteLine("""
                usage: dotnet run -c Release --project loadtests/Booking.LoadTests -- <scenario> [options]

                scenarios
                  seed      create centres and deliveries through the operator API (1,300 national, or --hot: 100)
                  run       open-model load against the centres of the latest seed, then the invariant audit (--db)
                  launch    seed, then run
                  reads     slots listings and centre searches against /health/live and /api/v1/vaccines (closed loop)
                  audit     the invariant audit alone (--db; --refs file of references that got a 201)
                  compare   the hot scenario (or --national) against the grain API and the SQL baseline in the same run, side by side
                  sweep     runs at rising rates (--rate, --step, --to) until the booking p99 passes --p99 ms or the target falls behind

                see loadtests/README.md for every option
                """);
            return 2;
        }

        public static string RepoRoot()
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "Booking.sln")))
                    {
                        return dir.FullName;
                    }
                }
            }
            return Directory.GetCurrentDirectory();
        }

        public static string ReportsRoot(Options o) => o.Out ?? Path.Combine(RepoRoot(), "loadtests", "reports");

        private static string NewReportDir(Options o, string scenario)
        {
            var dir = Path.Combine(ReportsRoot(o), $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{scenario}");
            Directory.CreateDirectory(dir);
            return dir;
        }

        private static Api NewApi(Options o, Uri target, int? connections = null) => NewApi(o, [target], connections);

        private static Api NewApi(Options o, IReadOnlyList<Uri> targets, int? connections = null) =>
            new(targets, connections ?? o.Connections, o.PortalKey, o.OperatorKey, TimeSpan.FromSeconds(30));

        private static Options For(Options o, SystemKind system)
        {
            var copy = o.Clone();
            copy.System = system;
            if (system == SystemKind.Baseline)
            {
                copy.Target = o.BaselineTarget;
                copy.Db = BaselineDb(o);
            }
            return copy;
        }

        public static string? BaselineDb(Options o)
        {
            if (o.BaselineDb is not null)
            {
                return o.BaselineDb;
            }
            if (o.Db is null)
            {
                return null;
            }
            return new NpgsqlConnectionStringBuilder(o.Db) { Database = "booking_baseline" }.ConnectionString;
        }

        public static async Task<int> Seed(Options o, CancellationToken ct)
        {
            using var api = NewApi(o, o.Target, o.SeedConcurrency);
            await RequireUp(api, ct);
            var manifest = await Seeder.Run(o, api, o.Prefix ?? Seeder.DefaultPrefix(o.Hot), Console.Out, ct);
            var path = await Seeder.Save(manifest, ReportsRoot(o), o.System);
            Console.WriteLine($"seed manifest: {path}");
            return 0;
        }

        private static async Task RequireUp(Api api, CancellationToken ct)
        {
            var live = await api.Get("/health/live", portal: false, ct);
            if (!live.Ok)
            {
                throw new InvalidOperationException($"{api.Target} does not answer /health/live ({live.Outcome}); start it first.");
            }
        }

        /// <summary>Refuses a manifest whose centres the target does not know (another database, or one
        /// reset since the seed): every call would fail, and the run would measure nothing.</summary>
        public static async Task RequireSeeded(Api api, SeedManifest manifest, CancellationToken ct)
        {
            var centre = manifest.Centres[0];
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var listed = await api.Slots(centre.Id, centre.Vaccines[0], today, today, ct);
            if (listed.Status == 404)
            {
                throw new InvalidOperationException(
                    $"{api.Target} does not know centre {centre.Id} of the seed manifest (prefix {manifest.Prefix}): seed this target first, or pass the --manifest of its seed.");
            }
        }

        public static async Task<int> Run(Options o, bool seedFirst, CancellationToken ct)
        {
            var manifest = await Centres(o, seedFirst, ct);
            var dir = NewReportDir(o, $"{(o.Hot ? "hot" : "national")}-{o.System.ToString().ToLowerInvariant()}-{o.Rate:0}");
            var (summary, _) = await Load(o, manifest, dir, o.Scenario, ct);
            PrintSummary(summary);
            Console.WriteLine($"report: {Path.Combine(dir, "report.html")}");
            return summary.Audit is { Passed: false } ? 1 : 0;
        }

        /// <summary>The centres to load: seeded now, or those of the latest seed (or --manifest), which the target must know.</summary>
        private static async Task<SeedManifest> Centres(Options o, bool seedFirst, CancellationToken ct)
        {
            using var seedApi = NewApi(o, o.Target, o.SeedConcurrency);
            await RequireUp(seedApi, ct);
            if (seedFirst)
            {
                var seeded = await Seeder.Run(o, seedApi, o.Prefix ?? Seeder.DefaultPrefix(o.Hot), Console.Out, ct);
                Console.WriteLine($"seed manifest: {await Seeder.Save(seeded, ReportsRoot(o), o.System)}");
                return seeded;
            }
            var path = o.Manifest ?? Seeder.ManifestPath(ReportsRoot(o), o.System, o.Hot);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"No seed manifest at {path}: run the seed scenario first (same --system{(o.Hot ? " and --hot" : "")}).");
            }
            var manifest = await Seeder.Load(path);
            await RequireSeeded(seedApi, manifest, ct);
            Console.WriteLine($"centres from {path}: {manifest.Centres.Count} (prefix {manifest.Prefix})");
            return manifest;
        }

        /// <summary>
        /// Steps of rising rate on the latest seed, each an open-model run with its own report, until one
        /// misses the booking p99 objective or falls behind what it was offered; then one audit of every
        /// step's bookings, and <c>sweep.json</c>.
        /// </summary>
        public static async Task<int> SweepRates(Options o, CancellationToken ct)
        {
            var manifest = await Centres(o, seedFirst: false, ct);
            var dir = NewReportDir(o, $"sweep-{(o.Hot ? "hot" : "national")}-{o.System.ToString().ToLowerInvariant()}");
            var steps = new List<SweepStep>();
            var confirmed = new List<string>();
            foreach (var rate in Sweep.Rates(o.Rate, o.To, o.Step))
            {
                var step = o.Clone();
                step.Rate = rate;
                step.NoAudit = true;
                var (summary, stepConfirmed) = await Load(step, manifest, dir, "sweep", ct, $"step-{rate:0}");
                confirmed.AddRange(stepConfirmed);
                var booking = summary.Latency[AfterRampKey];
                var result = new SweepStep(rate, summary.OfferedPerSecondSteady, summary.ConfirmedPerSecondSteady, booking.Count, booking.P99,
                    summary.CpuMicrosecondsPerPair.TryGetValue("machine total", out var perPair) ? perPair : null, summary.ToolPauses.LongestMs);
                steps.Add(result);
                Console.WriteLine($"sweep: {rate:N0}/s offered, {result.ConfirmedPerSecond:N0}/s confirmed after the ramp, booking p99 {result.BookingP99Ms} ms: " +
                                  (result.Meets(o.P99Objective) ? "met" : $"missed (p99 at most {o.P99Objective} ms, at least {SweepStep.KeptUpShare:P0} of the offered rate confirmed)"));
                if (!result.Meets(o.P99Objective))
                {
                    break;
                }
            }
            AuditResult? audit = null;
            if (o.Db is not null && !o.NoAudit)
            {
                Console.WriteLine($"audit: reading {o.System} database …");
                audit = await Audit.Run(o.System, o.Db, confirmed.ToArray(), Console.Out);
                PrintAudit(audit);
            }
            var found = new SweepResult(o.P99Objective, steps, Sweep.HighestMeeting(steps, o.P99Objective), audit);
            await File.WriteAllTextAsync(Path.Combine(dir, "sweep.json"), JsonSerializer.Serialize(found, SeedManifest.Json), ct);
            Console.WriteLine();
            Console.WriteLine("| offered pairs/s | confirmed/s after the ramp | bookings answered | booking p99 ms | machine µs per pair | tool's longest pause ms | objective met |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---|");
            foreach (var s in steps)
            {
                Console.WriteLine($"| {s.Rate:N0} | {s.ConfirmedPerSecond:N0} | {s.Answered:N0} | {s.BookingP99Ms} | {s.MachineMicrosecondsPerPair?.ToString("N0") ?? "–"} | {s.ToolLongestPauseMs?.ToString("F1") ?? "–"} | {(s.Meets(o.P99Objective) ? "yes" : "no")} |");
            }
            Console.WriteLine(found.HighestRateMeeting is { } highest
                ? $"highest rate with booking p99 ≤ {o.P99Objective} ms: {highest:N0} pairs/s"
                : $"no step met booking p99 ≤ {o.P99Objective} ms");
            Console.WriteLine($"reports: {dir}");
            return audit is { Passed: false } ? 1 : 0;
        }

        private const string BookingKey = "booking (POST, send to answer)";
        private const string AfterRampKey = "booking after the ramp";
        private const string ConfirmedKey = "booking confirmed (201 only, send to answer)";

        /// <summary>One open-model run against <see cref="Options.Target"/>, its audit, and its report in
        /// <paramref name="dir"/>; with the bookings it got a 201 for.</summary>
        public static async Task<(RunSummary Summary, string[] Confirmed)> Load(Options o, SeedManifest manifest, string dir, string scenario, CancellationToken ct, string name = "report")
        {
            var metrics = new Metrics((int)(o.Duration + o.Drain + 15), steadyFrom: (int)Math.Ceiling(o.Ramp));
            int? dbPort = o.Db is null ? null : new NpgsqlConnectionStringBuilder(o.Db).Port;
            var cpu = new CpuSampler(o.Targets.Select(t => t.Port), dbPort);
            foreach (var door in o.Targets.Skip(1))
            {
                using var other = NewApi(o, door, 4);
                await RequireUp(other, ct);
            }
            using var api = NewApi(o, o.Targets);
            var runner = new LoadRunner(o, api, manifest, metrics);
            Console.WriteLine($"run: {o.System} at {string.Join(", ", o.Targets)}, {o.Rate:N0} pairs/s offered (ramp {o.Ramp} s, {o.Duration} s), " +
                              $"{manifest.Centres.Count} centres{(o.Hot ? " (hot)" : "")}, browse {o.Browse}/booking, search {o.SearchesPerBooking}/booking, cancel {o.Cancel:P0}, reschedule {o.Reschedule:P0}" +
                              $"{(o.SupplyCut ? ", supply cut at half time" : "")}; in-flight cap {o.MaxInFlight:N0}, {o.Connections} connections");
            var (ledgerBefore, collectorBefore) = await ReadApiMetrics(api, ct);
            using var toolPauses = new ToolPauseListener();
            cpu.Start();
            var work = runner.Run();
            using (ct.Register(() => Console.Error.WriteLine("Ctrl-C: the run stops by itself at its end; press again to abort the process.")))
            {
                await LiveView.Follow(metrics, work, o, $"{o.System} · {o.Rate:N0} pairs/s offered · {runner.RunTag}");
                await work;
            }
            var cpuUse = cpu.Stop();
            var pauses = toolPauses.Read();
            var (ledgerAfter, collectorAfter) = await ReadApiMetrics(api, ct);
            var ledger = LedgerBatches.Between(ledgerBefore, ledgerAfter);
            var apiCollections = ApiCollections.Between(collectorBefore, collectorAfter, Math.Round(cpu.Seconds, 1));

            var confirmed = runner.ConfirmedReferences.ToArray();
            await File.WriteAllLinesAsync(Path.Combine(dir, $"{name}-refs.txt"), confirmed, ct);
            AuditResult? audit = null;
            if (o.Db is not null && !o.NoAudit)
            {
                Console.WriteLine($"audit: reading {o.System} database …");
                audit = await Audit.Run(o.System, o.Db, confirmed, Console.Out);
                PrintAudit(audit);
            }
            else
            {
                runner.Notes.Add("No invariant audit: --db was not given (or --no-audit).");
            }

            var steadyFrom = (int)Math.Ceiling(o.Ramp);
            var steadyTo = (int)Math.Floor(o.Duration);
            var steadySeconds = Math.Max(1, steadyTo - steadyFrom);
            var seconds = metrics.Samples.Select(s => s with
            {
                Offered = Value(metrics.Offered, s.Second),
                Confirmed = Value(metrics.Confirmed, s.Second),
                BookingErrors = Value(metrics.BookingErrors, s.Second),
                Contention = Value(metrics.Contention, s.Second),
                Listings = Value(metrics.Listings, s.Second),
                Searches = Value(metrics.Searches, s.Second),
                Dropped = Value(metrics.Dropped, s.Second),
            }).ToList();
            var latency = new Dictionary<string, LatencySummary>
            {
                [BookingKey] = LatencySummary.From(metrics.Booking.Total),
                [AfterRampKey] = LatencySummary.From(metrics.BookingAfterRamp),
                [ConfirmedKey] = LatencySummary.From(metrics.ConfirmedBooking.Total),
                ["booking flow (arrival to answer, incl. listing wait)"] = LatencySummary.From(metrics.Flow.Total),
                ["slots listing"] = LatencySummary.From(metrics.Listing.Total),
                ["centre search"] = LatencySummary.From(metrics.Search.Total),
                ["cancel"] = LatencySummary.From(metrics.Cancel.Total),
                ["reschedule"] = LatencySummary.From(metrics.Reschedule.Total),
            };
            var summary = new RunSummary(scenario, o.System.ToString().ToLowerInvariant(), string.Join(", ", o.Targets), DateTimeOffset.UtcNow.AddSeconds(-metrics.Elapsed),
                Report.Commit(RepoRoot()), Report.Machine(), "booking-loadtests " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                o.Rate, o.Ramp, o.Duration, manifest.Centres.Count, o.Hot, manifest.StockFactor,
                metrics.Offered.Sum(), metrics.Dropped.Sum(), metrics.Confirmed.Sum(),
                Math.Round(metrics.Offered.Skip(steadyFrom).Take(steadySeconds).Sum() / (double)steadySeconds),
                Math.Round(metrics.Confirmed.Skip(steadyFrom).Take(steadySeconds).Sum() / (double)steadySeconds),
                Math.Round(metrics.Confirmed.Sum() / Math.Max(o.Duration, LastActive(metrics.Confirmed))),
                new SortedDictionary<string, long>(metrics.Outcomes, StringComparer.Ordinal), latency, cpuUse, CpuSampler.PerPair(cpuUse, cpu.Seconds, metrics.Confirmed.Sum()), pauses, seconds, runner.Notes, audit, ledger, apiCollections);
            await Report.Write(summary, dir, name);
            return (summary, confirmed);

            static long Value(long[] series, int second) => second < series.Length ? series[second] : 0;
            static double LastActive(long[] series) => Array.FindLastIndex(series, v => v > 0) + 1;
        }

        /// <summary>The writers' and the collectors' series from each front door's /metrics (each silo
        /// has its own), added up; null where a door has none (the SQL baseline).</summary>
        private static async Task<(LedgerScrape? Ledger, CollectorScrape? Collector)> ReadApiMetrics(Api api, CancellationToken ct)
        {
            var texts = (await api.MetricsOfEachDoor(ct)).Select(s => s.Ok && s.Body is { } body ? Encoding.UTF8.GetString(body) : null).ToArray();
            return (LedgerScrape.Sum(texts.Select(t => t is null ? null : LedgerScrape.Parse(t)).ToArray()),
                CollectorScrape.Sum(texts.Select(t => t is null ? null : CollectorScrape.Parse(t)).ToArray()));
        }

        public static void PrintSummary(RunSummary s)
        {
            var b = s.Latency[BookingKey];
            Console.WriteLine();
            Console.WriteLine($"{s.System}: offered {s.Offered:N0} pairs ({s.OfferedPerSecondSteady:N0}/s after the ramp), dropped {s.Dropped:N0}, " +
                              $"confirmed {s.Confirmed:N0} ({s.ConfirmedPerSecondSteady:N0}/s after the ramp, {s.ConfirmedPerSecondOverall:N0}/s overall)");
            Console.WriteLine($"booking latency ms: p50 {b.P50}  p90 {b.P90}  p95 {b.P95}  p99 {b.P99}  p99.9 {b.P999}  max {b.Max}");
            var steady = s.Latency[AfterRampKey];
            Console.WriteLine($"  after the ramp: p50 {steady.P50}  p99 {steady.P99}  max {steady.Max}");
            var confirmed = s.Latency[ConfirmedKey];
            Console.WriteLine($"  confirmed (201) only: p50 {confirmed.P50}  p99 {confirmed.P99}  max {confirmed.Max}");
            foreach (var (k, v) in s.Outcomes)
            {
                Console.WriteLine($"  {k}: {v:N0}");
            }
            if (s.CpuCores.Count > 0)
            {
                Console.WriteLine("CPU (cores): " + string.Join(", ", s.CpuCores.Select(p => $"{p.Key} {p.Value:F2}")));
                if (s.CpuMicrosecondsPerPair.Count > 0)
                {
                    Console.WriteLine("CPU per confirmed pair (µs of one core): " + string.Join(", ", s.CpuMicrosecondsPerPair.Select(p => $"{p.Key} {p.Value:N0}")));
                }
            }
            if (s.Ledger is { } ledger)
            {
                Console.WriteLine("ledger writer (the API's /metrics): " + ledger.Text());
            }
            if (s.ApiCollections is { } collections)
            {
                Console.WriteLine("API's own GC (its /metrics): " + collections.Text());
            }
            Console.WriteLine("load tool's own GC: " + Report.ToolPausesText(s.ToolPauses));
            foreach (var n in s.Notes)
            {
                Console.WriteLine("note: " + n);
            }
        }

        public static void PrintAudit(AuditResult a)
        {
            Console.WriteLine($"invariant audit ({a.System}, {a.Seconds:F1} s): {(a.Passed ? "PASSED" : "FAILED")}");
            foreach (var c in a.Checks)
            {
                Console.WriteLine($"  [{(c.Passed ? "ok" : "VIOLATED")}] {c.Name}: {c.Violations} violations ({c.Detail})");
            }
            foreach (var (k, v) in a.Facts)
            {
                Console.WriteLine($"  {k}: {v:N0}");
            }
            foreach (var e in a.Examples)
            {
                Console.WriteLine("  ! " + e);
            }
        }

        public static async Task<int> AuditOnly(Options o)
        {
            if (o.Db is null)
            {
                Console.Error.WriteLine("audit needs --db <connection string>.");
                return 2;
            }
            var refs = o.Refs is null ? [] : (await File.ReadAllLinesAsync(o.Refs)).Where(l => l.Length > 0).ToArray();
            var audit = await Audit.Run(o.System, o.Db, refs, Console.Out);
            PrintAudit(audit);
            return audit.Passed ? 0 : 1;
        }
    }
}
