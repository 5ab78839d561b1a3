using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Booking.LoadTests;

public static partial class Scenarios
{
    public sealed record ReadPhase(string Name, long Requests, long Failures, double PerSecond, LatencySummary Latency);

    /// <summary>
    /// Availability reads against a trivial endpoint of the same API, each phase a closed loop of
    /// --concurrency workers for --duration seconds: /health/live (plain "hello"), /api/v1/vaccines
    /// (a small JSON answer behind the API key and rate limiter), then slots listings of random
    /// centres over --read-days days and over 7 days.
    /// </summary>
    public static async Task<int> Reads(Options o, CancellationToken ct)
    {
        var path = o.Manifest ?? Seeder.ManifestPath(ReportsRoot(o), o.System, o.Hot);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"No seed manifest at {path}: run the seed scenario first.");
        }
        var manifest = await Seeder.Load(path);
        using var api = NewApi(o, o.Target, o.Concurrency);
        await RequireUp(api, ct);
        await RequireSeeded(api, manifest, ct);
        var today = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1);
        var centres = manifest.Centres;
        var phases = new List<(string Name, Func<Task<CallResult>> Call)>
        {
            ("hello: GET /health/live", () => api.Get("/health/live", portal: false, ct)),
            ("hello JSON: GET /api/v1/vaccines", () => api.Get("/api/v1/vaccines", portal: true, ct)),
            ($"slots listing, {o.ReadDays} day(s)", () =>
            {
                var c = centres[Random.Shared.Next(centres.Count)];
                return api.Slots(c.Id, c.Vaccines[0], today, today.AddDays(o.ReadDays - 1), ct);
            }),
            ("slots listing, 7 days", () =>
            {
                var c = centres[Random.Shared.Next(centres.Count)];
                return api.Slots(c.Id, c.Vaccines[0], today, today.AddDays(6), ct);
            }),
            ("centre search, 25 km", () =>
            {
                var c = centres[Random.Shared.Next(centres.Count)];
                var (latitude, longitude) = LoadRunner.NearPoint(c.Latitude, c.Longitude, LoadRunner.HomeDistanceKm, Random.Shared);
                return api.SearchCentres(latitude, longitude, 25, c.Vaccines[0], ct);
            }),
        };
        var cpuPort = o.Target.Port;
        int? dbPort = o.Db is null ? null : new Npgsql.NpgsqlConnectionStringBuilder(o.Db).Port;
        var results = new List<(ReadPhase Phase, Dictionary<string, double> Cpu)>();
        foreach (var (name, call) in phases)
        {
            // Warm-up: connections opened, code jitted.
            await ClosedLoop(call, o.Concurrency, 2, ct);
            var cpu = new CpuSampler(cpuPort, dbPort);
            cpu.Start();
            var phase = await ClosedLoop(call, o.Concurrency, o.Duration, ct);
            var used = cpu.Stop();
            var result = phase with { Name = name };
            results.Add((result, used));
            Console.WriteLine($"{name}: {result.PerSecond:N0} req/s ({result.Requests:N0} ok, {result.Failures:N0} failed), " +
                              $"p50 {result.Latency.P50} ms, p99 {result.Latency.P99} ms; CPU {string.Join(", ", used.Select(p => $"{p.Key} {p.Value:F2}"))}");
        }
        var hello = results[0].Phase.PerSecond;
        var helloJson = results[1].Phase.PerSecond;
        Console.WriteLine();
        foreach (var (phase, _) in results.Skip(2))
        {
            Console.WriteLine($"{phase.Name}: {phase.PerSecond / hello:P0} of /health/live, {phase.PerSecond / helloJson:P0} of /api/v1/vaccines" +
                (phase.Name.StartsWith("slots", StringComparison.Ordinal) ? " (target ≥ 50 %)" : ""));
        }
        var dir = NewReportDir(o, $"reads-{o.System.ToString().ToLowerInvariant()}");
        await File.WriteAllTextAsync(Path.Combine(dir, "reads.json"), JsonSerializer.Serialize(new
        {
            system = o.System.ToString().ToLowerInvariant(),
            target = o.Target.ToString(),
            commit = Report.Commit(RepoRoot()),
            machine = Report.Machine(),
            concurrency = o.Concurrency,
            secondsPerPhase = o.Duration,
            phases = results.Select(r => new { r.Phase.Name, r.Phase.Requests, r.Phase.Failures, r.Phase.PerSecond, r.Phase.Latency, cpuCores = r.Cpu }),
        }, Report.Json), ct);
        Console.WriteLine($"report: {Path.Combine(dir, "reads.json")}");
        return 0;
    }

    private static async Task<ReadPhase> ClosedLoop(Func<Task<CallResult>> call, int workers, double seconds, CancellationToken ct)
    {
        var histogram = new LongConcurrentHistogram(1, Latency.MaxMicros, 3);
        long ok = 0, failed = 0;
        var watch = Stopwatch.StartNew();
        var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end && !ct.IsCancellationRequested)
            {
                var sent = Stopwatch.GetTimestamp();
                var r = await call();
                var micros = (Stopwatch.GetTimestamp() - sent) * 1_000_000 / Stopwatch.Frequency;
                histogram.RecordValue(Math.Clamp(micros, 1, Latency.MaxMicros));
                if (r.Ok)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = watch.Elapsed.TotalSeconds;
        return new ReadPhase("", ok, failed, Math.Round(ok / elapsed), LatencySummary.From(histogram));
    }

    /// <summary>
    /// The hot scenario (100 centres, 80 % of demand on 10), or with --national the national one,
    /// against the grain API and then the SQL baseline, same options, same run; the baseline is
    /// built and started here when it is not already answering, and stopped at the end.
    /// </summary>
    public static async Task<int> Compare(Options o, CancellationToken ct)
    {
        o.Hot = !o.National;
        var scenario = o.Hot ? "hot" : "national";
        var dir = NewReportDir(o, $"compare-{(o.Hot ? "" : "national-")}{o.Rate:0}");
        var summaries = new List<RunSummary>();
        Process? started = null;
        try
        {
            foreach (var system in new[] { SystemKind.Grains, SystemKind.Baseline })
            {
                var so = For(o, system);
                if (system == SystemKind.Baseline)
                {
                    started = await EnsureBaseline(so, ct);
                }
                SeedManifest manifest;
                using (var seedApi = NewApi(so, so.Target, so.SeedConcurrency))
                {
                    await RequireUp(seedApi, ct);
                    manifest = await Seeder.Run(so, seedApi, (o.Hot ? "h" : "n") + (system == SystemKind.Grains ? "g" : "b") + DateTime.UtcNow.ToString("MMddHHmmss"), Console.Out, ct);
                    await Seeder.Save(manifest, ReportsRoot(o), system);
                }
                var name = system.ToString().ToLowerInvariant();
                var (summary, _) = await Load(so, manifest, dir, $"compare ({scenario})", ct, name);
                PrintSummary(summary);
                summaries.Add(summary);
            }
        }
        finally
        {
            if (started is not null)
            {
                StopProcess(started);
            }
        }
        var table = CompareTable(scenario, summaries);
        Console.WriteLine();
        Console.WriteLine(table);
        await File.WriteAllTextAsync(Path.Combine(dir, "compare.md"), table, ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "report.html"),
            $"<!doctype html><meta charset=\"utf-8\"><title>compare</title><h1>{(o.Hot ? "Hot" : "National")} scenario: grains vs SQL baseline</h1><pre>" +
            System.Net.WebUtility.HtmlEncode(table) + "</pre><p><a href=\"grains.html\">grains report</a> · <a href=\"baseline.html\">baseline report</a></p>", ct);
        Console.WriteLine($"report: {Path.Combine(dir, "report.html")}");
        return summaries.Any(s => s.Audit is { Passed: false }) ? 1 : 0;
    }

    private static string CompareTable(string scenario, List<RunSummary> s)
    {
        var rows = new List<(string, Func<RunSummary, string>)>
        {
            ("offered pairs/s (after ramp)", x => x.OfferedPerSecondSteady.ToString("N0")),
            ("confirmed pairs/s (after ramp)", x => x.ConfirmedPerSecondSteady.ToString("N0")),
            ("confirmed pairs", x => x.Confirmed.ToString("N0")),
            ("dropped at in-flight cap", x => x.Dropped.ToString("N0")),
            ("booking p50 ms", x => x.Latency[BookingKey].P50.ToString("F2")),
            ("booking p95 ms", x => x.Latency[BookingKey].P95.ToString("F2")),
            ("booking p99 ms", x => x.Latency[BookingKey].P99.ToString("F2")),
            ("409 slot-full", x => x.Outcomes.GetValueOrDefault("book 409 slot-full").ToString("N0")),
            ("409 out-of-stock / no-second-dose", x => (x.Outcomes.GetValueOrDefault("book 409 out-of-stock") + x.Outcomes.GetValueOrDefault("book 409 no-second-dose")).ToString("N0")),
            ("other booking failures", x => (x.BookingErrors - x.Outcomes.GetValueOrDefault("book 409 slot-full") - x.Outcomes.GetValueOrDefault("book 409 out-of-stock") - x.Outcomes.GetValueOrDefault("book 409 no-second-dose")).ToString("N0")),
            ("of which timeouts (no answer in 30 s)", x => Timeouts(x).ToString("N0")),
            ("CPU: system under test (cores)", x => x.CpuCores.GetValueOrDefault("system under test (API process)").ToString("F2")),
            ("CPU: PostgreSQL (cores)", x => x.CpuCores.GetValueOrDefault("PostgreSQL (its server and backends)").ToString("F2")),
            ("CPU: load tool (cores)", x => x.CpuCores.GetValueOrDefault("load tool").ToString("F2")),
            ("CPU per confirmed pair: system under test (µs)", x => x.CpuMicrosecondsPerPair.GetValueOrDefault("system under test (API process)").ToString("N0")),
            ("CPU per confirmed pair: whole machine (µs)", x => x.CpuMicrosecondsPerPair.GetValueOrDefault("machine total").ToString("N0")),
            ("load tool's longest GC pause ms (adds to the latencies above)", x => x.ToolPauses.LongestMs.ToString("F1")),
            ("invariant audit", x => x.Audit is null ? "not run" : x.Audit.Passed ? "passed" : $"FAILED ({x.Audit.Violations})"),
        };
        var b = new StringBuilder();
        b.AppendLine($"| {scenario} scenario, {s[0].Rate:N0} pairs/s offered, {s[0].Duration} s | {string.Join(" | ", s.Select(x => x.System))} |");
        b.AppendLine($"|---|{string.Join("|", s.Select(_ => "---:"))}|");
        foreach (var (name, f) in rows)
        {
            b.AppendLine($"| {name} | {string.Join(" | ", s.Select(f))} |");
        }
        if (s.Count == 2 && s[1].ConfirmedPerSecondSteady > 0)
        {
            b.AppendLine(RatioRow(s[0].ConfirmedPerSecondSteady, s[1].ConfirmedPerSecondSteady, Timeouts(s[0]), Timeouts(s[1])));
        }
        return b.ToString();
    }

    private static long Timeouts(RunSummary s) => s.Outcomes.GetValueOrDefault("book timeout");

    /// <summary>The ratio of confirmed rates. A system that left bookings unanswered for the whole
    /// timeout was past its capacity, queueing more than it could answer in time: the ratio then
    /// also counts that collapse, not only its rate, and the row says so.</summary>
    internal static string RatioRow(double grains, double baseline, long grainsTimeouts, long baselineTimeouts)
    {
        var caveat = (grainsTimeouts, baselineTimeouts) switch
        {
            (0, 0) => "",
            (0, var b) => string.Create(CultureInfo.InvariantCulture, $"the baseline left {b:N0} bookings unanswered, so this also counts its collapse past capacity"),
            (var g, 0) => string.Create(CultureInfo.InvariantCulture, $"the grains left {g:N0} bookings unanswered, so this also counts their collapse past capacity"),
            var (g, b) => string.Create(CultureInfo.InvariantCulture, $"both left bookings unanswered (grains {g:N0}, baseline {b:N0}): both were past capacity"),
        };
        return string.Create(CultureInfo.InvariantCulture, $"| grains ÷ baseline (confirmed/s) | {grains / baseline:F1}× | {caveat} |");
    }

    /// <summary>The baseline at --baseline-target: used if it answers, else built and started here (its PID is stopped at the end).</summary>
    private static async Task<Process?> EnsureBaseline(Options o, CancellationToken ct)
    {
        using (var probe = NewApi(o, o.Target, 4))
        {
            if ((await probe.Get("/health/live", portal: false, ct)).Ok)
            {
                Console.WriteLine($"baseline: already answering at {o.Target}");
                return null;
            }
        }
        if (!o.StartBaseline)
        {
            throw new InvalidOperationException($"The baseline does not answer at {o.Target} (and --no-start-baseline was given).");
        }
        if (o.Db is null)
        {
            throw new InvalidOperationException("compare needs --db (the baseline uses the same server, database booking_baseline) or --baseline-db.");
        }
        var project = Path.Combine(RepoRoot(), "bench", "Booking.Baseline");
        Console.WriteLine($"baseline: building {project} …");
        using (var build = Process.Start(new ProcessStartInfo("dotnet", ["build", "-c", "Release", "--nologo", "-v", "q", project]) { RedirectStandardOutput = true })!)
        {
            var output = build.StandardOutput.ReadToEndAsync(ct);
            if (!build.WaitForExit(TimeSpan.FromMinutes(5)) || build.ExitCode != 0)
            {
                Console.Error.WriteLine(await output);
                throw new InvalidOperationException("The baseline did not build.");
            }
        }
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "Booking.Baseline.dll");
        var info = new ProcessStartInfo("dotnet", [dll]) { UseShellExecute = false };
        info.Environment["ASPNETCORE_URLS"] = o.Target.ToString().TrimEnd('/');
        info.Environment["ConnectionStrings__Baseline"] = o.Db;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        // The JIT setting the grain API runs with (run.sh), so that both warm up alike.
        info.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the baseline.");
        Console.WriteLine($"baseline: started PID {process.Id} on {o.Target}");
        using var wait = NewApi(o, o.Target, 4);
        for (var i = 0; i < 120; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The baseline exited with code {process.ExitCode}.");
            }
            if ((await wait.Get("/health/live", portal: false, ct)).Ok)
            {
                return process;
            }
            await Task.Delay(500, ct);
        }
        StopProcess(process);
        throw new InvalidOperationException("The baseline did not answer /health/live within 60 s.");
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    /// <summary>SIGTERM by PID (graceful ASP.NET Core shutdown), then SIGKILL after 15 s.</summary>
    private static void StopProcess(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        Console.WriteLine($"baseline: stopping PID {process.Id}");
        _ = SysKill(process.Id, 15);
        if (!process.WaitForExit(15_000))
        {
            process.Kill();
            process.WaitForExit(5_000);
        }
    }
}
