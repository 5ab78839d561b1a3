using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Booking.LoadTests;

public sealed record LatencySummary(long Count, double P50, double P90, double P95, double P99, double P999, double Max, double Mean)
{
    public static LatencySummary From(HistogramBase h) => h.TotalCount == 0
        ? new(0, 0, 0, 0, 0, 0, 0, 0)
        : new(h.TotalCount, Ms(h, 50), Ms(h, 90), Ms(h, 95), Ms(h, 99), Ms(h, 99.9), Math.Round(h.GetMaxValue() / 1000.0, 2), Math.Round(h.GetMean() / 1000.0, 2));

    private static double Ms(HistogramBase h, double p) => Math.Round(h.GetValueAtPercentile(p) / 1000.0, 2);
}

public sealed record RunSummary(
    string Scenario, string System, string Target, DateTimeOffset StartedAt, string Commit, string Machine, string Command,
    double Rate, double Ramp, double Duration, int Centres, bool Hot, double StockFactor,
    long Offered, long Dropped, long Confirmed, double OfferedPerSecondSteady, double ConfirmedPerSecondSteady, double ConfirmedPerSecondOverall,
    IReadOnlyDictionary<string, long> Outcomes, IReadOnlyDictionary<string, LatencySummary> Latency,
    IReadOnlyDictionary<string, double> CpuCores, IReadOnlyDictionary<string, double> CpuMicrosecondsPerPair, ToolGcPauses ToolPauses,
    IReadOnlyList<SecondSample> Seconds, IReadOnlyList<string> Notes, AuditResult? Audit, LedgerBatches? Ledger, ApiCollections? ApiCollections)
{
    public long BookingErrors => Outcomes.Where(o => o.Key.StartsWith("book ", StringComparison.Ordinal) && o.Key != "book 201" && !o.Key.StartsWith("book dropped", StringComparison.Ordinal)).Sum(o => o.Value);
}

/// <summary>The JSON summary, the charts (ScottPlot PNGs) and the HTML page of a run.</summary>
public static class Report
{
    /// <summary>One line on the tool's own pauses, set against the time it listened.</summary>
    public static string ToolPausesText(ToolGcPauses p) =>
        $"{p.Pauses:N0} pauses (collections: gen0 {p.Gen0:N0}, gen1 {p.Gen1:N0}, gen2 {p.Gen2:N0}), longest {p.LongestMs:F1} ms, " +
        $"{p.TotalMs:N0} ms in all ({(p.Seconds > 0 ? p.TotalMs / (10 * p.Seconds) : 0):F2} % of {p.Seconds:N0} s)";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Commit(string repo)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", repo, "rev-parse", "--short", "HEAD"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            return git.WaitForExit(5000) && git.ExitCode == 0 ? text : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    public static string Machine()
    {
        var memory = "";
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            memory = $", {kb / 1024.0 / 1024.0:F0} GiB";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
        }
        return $"{Environment.ProcessorCount} cores{memory}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }

    public static async Task Write(RunSummary s, string dir, string name)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, $"{name}.json"), JsonSerializer.Serialize(s, Json));
        var throughput = Path.Combine(dir, $"{name}-throughput.png");
        var latency = Path.Combine(dir, $"{name}-latency.png");
        Charts(s, throughput, latency);
        await File.WriteAllTextAsync(Path.Combine(dir, $"{name}.html"), Html(s, throughput, latency));
    }

    private static void Charts(RunSummary s, string throughputPath, string latencyPath)
    {
        var seconds = s.Seconds.ToList();
        double[] Xs(IEnumerable<SecondSample> list) => list.Select(x => (double)x.Second).ToArray();

        var plot = new ScottPlot.Plot();
        void Series(ScottPlot.Plot p, string label, Func<SecondSample, double> y)
        {
            var points = seconds.Where(x => !double.IsNaN(y(x))).ToList();
            if (points.Count == 0)
            {
                return;
            }
            var line = p.Add.Scatter(Xs(points), points.Select(y).ToArray());
            line.LegendText = label;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        Series(plot, "offered pairs/s", x => x.Offered);
        Series(plot, "confirmed pairs/s", x => x.Confirmed);
        Series(plot, "refused or failed bookings/s", x => x.BookingErrors);
        Series(plot, "slot listings/s", x => x.Listings);
        Series(plot, "centre searches/s", x => x.Searches);
        Series(plot, "dropped arrivals/s", x => x.Dropped);
        plot.Title($"{s.System}: throughput ({s.Scenario}, {s.Rate:N0} pairs/s offered)");
        plot.XLabel("seconds since start");
        plot.YLabel("per second");
        plot.ShowLegend();
        plot.SavePng(throughputPath, 1100, 450);

        var lat = new ScottPlot.Plot();
        Series(lat, "booking p50", x => x.BookP50);
        Series(lat, "booking p95", x => x.BookP95);
        Series(lat, "booking p99", x => x.BookP99);
        Series(lat, "listing p99", x => x.ListP99);
        Series(lat, "search p99", x => x.SearchP99);
        lat.Title($"{s.System}: booking latency percentiles per second (ms)");
        lat.XLabel("seconds since start");
        lat.YLabel("ms");
        lat.ShowLegend();
        lat.SavePng(latencyPath, 1100, 450);
    }

    private static string Html(RunSummary s, string throughputPath, string latencyPath)
    {
        static string E(object? o) => WebUtility.HtmlEncode(Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        var b = new StringBuilder();
        b.Append("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Load test ").Append(E(s.Scenario)).Append(' ').Append(E(s.System)).Append("</title>");
        b.Append("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.ok{color:#070}.bad{color:#b00;font-weight:bold}img{max-width:100%}</style>");
        b.Append("<h1>Load test: ").Append(E(s.Scenario)).Append(" against ").Append(E(s.System)).Append("</h1>");
        b.Append("<p>").Append(E(s.StartedAt.ToString("u"))).Append(" · commit ").Append(E(s.Commit)).Append(" · ").Append(E(s.Machine)).Append("</p>");
        b.Append("<p><code>").Append(E(s.Command)).Append("</code></p>");
        b.Append("<table><tr><th>figure</th><th>value</th></tr>");
        void Row(string k, object v) => b.Append("<tr><td>").Append(E(k)).Append("</td><td>").Append(E(v)).Append("</td></tr>");
        Row("target", s.Target);
        Row("centres", s.Centres + (s.Hot ? " (hot: 80 % of demand on 10)" : ""));
        Row("offered rate (pairs/s), ramp, duration", $"{s.Rate:N0}, {s.Ramp} s, {s.Duration} s");
        Row("offered pair bookings", s.Offered.ToString("N0"));
        Row("dropped at the in-flight cap", s.Dropped.ToString("N0"));
        Row("confirmed pairs", s.Confirmed.ToString("N0"));
        Row("offered pairs/s after the ramp", s.OfferedPerSecondSteady.ToString("N0"));
        Row("confirmed pairs/s after the ramp", s.ConfirmedPerSecondSteady.ToString("N0"));
        Row("confirmed pairs/s until the last confirmation (drain included)", s.ConfirmedPerSecondOverall.ToString("N0"));
        b.Append("</table>");
        b.Append("<h2>Charts</h2><img alt=\"throughput\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(File.ReadAllBytes(throughputPath))).Append("\">");
        b.Append("<img alt=\"latency\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(File.ReadAllBytes(latencyPath))).Append("\">");
        b.Append("<h2>Latency (ms)</h2><table><tr><th>call</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr>");
        foreach (var (k, v) in s.Latency)
        {
            b.Append("<tr><td>").Append(E(k)).Append("</td>");
            foreach (var x in new object[] { v.Count, v.P50, v.P90, v.P95, v.P99, v.P999, v.Max, v.Mean })
            {
                b.Append("<td>").Append(E(x)).Append("</td>");
            }
            b.Append("</tr>");
        }
        b.Append("</table><h2>Outcomes</h2><table><tr><th>call and answer</th><th>count</th></tr>");
        foreach (var (k, v) in s.Outcomes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Row(k, v.ToString("N0"));
        }
        b.Append("</table>");
        if (s.CpuCores.Count > 0)
        {
            b.Append("<h2>CPU during the run</h2><table><tr><th>process</th><th>cores</th><th>µs of one core per confirmed pair</th></tr>");
            foreach (var (k, v) in s.CpuCores)
            {
                b.Append("<tr><td>").Append(E(k)).Append("</td><td>").Append(E(v.ToString("F2")))
                    .Append("</td><td>").Append(E(s.CpuMicrosecondsPerPair.TryGetValue(k, out var us) ? us.ToString("N0") : "")).Append("</td></tr>");
            }
            b.Append("</table>");
        }
        if (s.Ledger is { } ledger)
        {
            b.Append("<h2>The API's group-commit writer (its /metrics)</h2><p>").Append(E(ledger.Text())).Append("</p>");
        }
        if (s.ApiCollections is { } collections)
        {
            b.Append("<h2>The API's own collections (its /metrics)</h2><p>").Append(E(collections.Text())).Append("</p>");
        }
        b.Append("<h2>The load tool's own collections</h2><p>").Append(E(ToolPausesText(s.ToolPauses))).Append("</p>");
        if (s.Notes.Count > 0)
        {
            b.Append("<h2>Notes</h2><ul>");
            foreach (var n in s.Notes)
            {
                b.Append("<li>").Append(E(n)).Append("</li>");
            }
            b.Append("</ul>");
        }
        if (s.Audit is { } a)
        {
            b.Append("<h2>Invariant audit: <span class=\"").Append(a.Passed ? "ok\">passed" : "bad\">FAILED").Append("</span></h2>");
            b.Append("<table><tr><th>check</th><th>result</th><th>violations</th><th>what</th></tr>");
            foreach (var c in a.Checks)
            {
                b.Append("<tr><td>").Append(E(c.Name)).Append("</td><td class=\"").Append(c.Passed ? "ok\">ok" : "bad\">violated")
                    .Append("</td><td>").Append(c.Violations).Append("</td><td>").Append(E(c.Detail)).Append("</td></tr>");
            }
            b.Append("</table><table><tr><th>fact</th><th>count</th></tr>");
            foreach (var (k, v) in a.Facts)
            {
                Row(k, v.ToString("N0"));
            }
            b.Append("</table>");
            foreach (var x in a.Examples)
            {
                b.Append("<p class=\"bad\">").Append(E(x)).Append("</p>");
            }
        }
        b.Append("</html>");
        return b.ToString();
    }
}
