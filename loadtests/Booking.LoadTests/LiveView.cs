using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Booking.LoadTests;

/// <summary>Once a second: offered rate, confirmed/s, errors by type, p50/p95/p99. A live table on a
/// terminal; one plain line per second when the output is not a terminal (CI, a file, a pipe).</summary>
public static class LiveView
{
    public static bool Interactive(Options o) =>
        !o.Plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static async Task Follow(Metrics m, Task work, Options o, string title)
    {
        if (!Interactive(o))
        {
            await Tick(m, work, s => Console.WriteLine(Line(m, s)));
            return;
        }
        var table = Render(m, null, title);
        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            await Tick(m, work, s =>
            {
                ctx.UpdateTarget(Render(m, s, title));
                ctx.Refresh();
            });
        });
    }

    private static async Task Tick(Metrics m, Task work, Action<SecondSample> show)
    {
        var second = 0;
        while (true)
        {
            var next = m.Start + (second + 1) * Stopwatch.Frequency;
            var wait = (next - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            var finished = await Task.WhenAny(work, Task.Delay((int)Math.Max(0, wait))) == work;
            if (finished)
            {
                m.Sample(second);
                return;
            }
            show(m.Sample(second));
            second++;
        }
    }

    private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString(v < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);

    private static IEnumerable<KeyValuePair<string, long>> Errors(Metrics m) =>
        m.Outcomes.Where(p => !(p.Key.EndsWith(" 200", StringComparison.Ordinal) || p.Key.EndsWith(" 201", StringComparison.Ordinal) || p.Key.EndsWith(" 204", StringComparison.Ordinal)))
            .OrderByDescending(p => p.Value).Take(8);

    private static string Line(Metrics m, SecondSample s) =>
        $"t={s.Second + 1,4}s offered={s.Offered,6}/s confirmed={s.Confirmed,6}/s refused/failed={s.BookingErrors,5}/s listings={s.Listings,6}/s searches={s.Searches,6}/s " +
        $"inflight={s.InFlight,5} dropped={s.Dropped,4} book p50/p95/p99={F(s.BookP50)}/{F(s.BookP95)}/{F(s.BookP99)} ms " +
        $"list p99={F(s.ListP99)} ms search p99={F(s.SearchP99)} ms | " + string.Join(", ", Errors(m).Select(p => $"{p.Key}={p.Value}"));

    private static Table Render(Metrics m, SecondSample? s, string title)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("last second").RightAligned());
        table.AddColumn(new TableColumn("whole run").RightAligned());
        if (s is null)
        {
            table.AddRow("starting", "", "");
            return table;
        }
        var totalConfirmed = m.Confirmed.Sum();
        var elapsed = Math.Max(1, s.Second + 1);
        table.AddRow("elapsed", $"{s.Second + 1} s", "");
        table.AddRow("offered pairs/s", s.Offered.ToString("N0"), (m.Offered.Sum() / (double)elapsed).ToString("N0"));
        table.AddRow("[green]confirmed pairs/s[/]", $"[green]{s.Confirmed:N0}[/]", $"{totalConfirmed / (double)elapsed:N0} ({totalConfirmed:N0})");
        table.AddRow("refused or failed bookings/s", s.BookingErrors.ToString("N0"), m.BookingErrors.Sum().ToString("N0"));
        table.AddRow("slot listings/s", s.Listings.ToString("N0"), m.Listings.Sum().ToString("N0"));
        table.AddRow("centre searches/s", s.Searches.ToString("N0"), m.Searches.Sum().ToString("N0"));
        table.AddRow("in flight / dropped", s.InFlight.ToString("N0"), m.Dropped.Sum().ToString("N0"));
        table.AddRow("booking p50 / p95 / p99 (ms)", $"{F(s.BookP50)} / {F(s.BookP95)} / {F(s.BookP99)}",
            $"{F(Latency.Ms(m.Booking.Total, 50))} / {F(Latency.Ms(m.Booking.Total, 95))} / {F(Latency.Ms(m.Booking.Total, 99))}");
        table.AddRow("listing p50 / p99 (ms)", $"{F(s.ListP50)} / {F(s.ListP99)}", "");
        table.AddRow("search p99 (ms)", F(s.SearchP99), F(Latency.Ms(m.Search.Total, 99)));
        foreach (var (key, count) in Errors(m))
        {
            table.AddRow($"[yellow]{Markup.Escape(key)}[/]", "", count.ToString("N0"));
        }
        return table;
    }
}
