using System.Globalization;
using System.Text;

namespace Booking.LoadTests;

/// <summary>Samples of Prometheus' text format, as an API's <c>/metrics</c> serves them.</summary>
public static class PrometheusText
{
    /// <summary>Each sample line: its name, its labels as written between the braces, and its value
    /// (a timestamp after it is ignored). Comments and blank lines are skipped.</summary>
    public static IEnumerable<(string Name, string Labels, double Value)> Samples(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (brace >= 0 && (space < 0 || brace < space))
            {
                var close = line.LastIndexOf('}');
                yield return (line[..brace], line[(brace + 1)..close], Number(line[(close + 1)..].Trim().Split(' ')[0]));
            }
            else
            {
                yield return (line[..space], "", Number(line[(space + 1)..].Trim().Split(' ')[0]));
            }
        }
    }

    /// <summary>The value of label <paramref name="key"/> (unescaped), or null.</summary>
    public static string? Label(string labels, string key)
    {
        var at = 0;
        while (at < labels.Length)
        {
            var equals = labels.IndexOf('=', at);
            if (equals < 0 || equals + 1 >= labels.Length || labels[equals + 1] != '"')
            {
                return null;
            }
            var name = labels[at..equals].Trim();
            var value = new StringBuilder();
            var i = equals + 2;
            for (; i < labels.Length && labels[i] != '"'; i++)
            {
                if (labels[i] == '\\' && i + 1 < labels.Length)
                {
                    i++;
                    value.Append(labels[i] == 'n' ? '\n' : labels[i]);
                }
                else
                {
                    value.Append(labels[i]);
                }
            }
            if (name == key)
            {
                return value.ToString();
            }
            at = labels.IndexOf(',', i) is var comma and >= 0 ? comma + 1 : labels.Length;
        }
        return null;
    }

    public static double Number(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}

/// <summary>The API's own collections and pauses, from its runtime's series (<c>dotnet_gc_…</c>).</summary>
public sealed record CollectorScrape(long Gen0, long Gen1, long Gen2, double PauseSeconds)
{
    /// <summary>The runtime's series in a scrape; null when it has none (the SQL baseline).</summary>
    public static CollectorScrape? Parse(string text)
    {
        long gen0 = 0, gen1 = 0, gen2 = 0;
        double? pause = null;
        foreach (var (name, labels, value) in PrometheusText.Samples(text))
        {
            if (name == "dotnet_gc_pause_time_seconds_total")
            {
                pause = value;
            }
            else if (name == "dotnet_gc_collections_total")
            {
                switch (PrometheusText.Label(labels, "gc_heap_generation"))
                {
                    case "gen0": gen0 = (long)value; break;
                    case "gen1": gen1 = (long)value; break;
                    case "gen2": gen2 = (long)value; break;
                }
            }
        }
        return pause is null ? null : new CollectorScrape(gen0, gen1, gen2, pause.Value);
    }

    /// <summary>Several silos' processes as one; null if any is unknown.</summary>
    public static CollectorScrape? Sum(IReadOnlyList<CollectorScrape?> scrapes) =>
        scrapes.Count == 0 || scrapes.Any(s => s is null)
            ? null
            : new CollectorScrape(scrapes.Sum(s => s!.Gen0), scrapes.Sum(s => s!.Gen1), scrapes.Sum(s => s!.Gen2), scrapes.Sum(s => s!.PauseSeconds));
}

/// <summary>What the API's collector did between two scrapes, over a run of <paramref name="Seconds"/>:
/// while it pauses, every request in the API waits, so its pauses land in the latencies too.</summary>
public sealed record ApiCollections(long Gen0, long Gen1, long Gen2, double PausedMs, double Seconds)
{
    public static ApiCollections? Between(CollectorScrape? before, CollectorScrape? after, double seconds) =>
        before is null || after is null
            ? null
            : new ApiCollections(after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2,
                Math.Round((after.PauseSeconds - before.PauseSeconds) * 1000, 1), seconds);

    public string Text() => string.Create(CultureInfo.InvariantCulture,
        $"{Gen0 + Gen1 + Gen2:N0} collections (gen0 {Gen0:N0}, gen1 {Gen1:N0}, gen2 {Gen2:N0}), paused {PausedMs:N0} ms in all " +
        $"({(Seconds > 0 ? PausedMs / (10 * Seconds) : 0):F2} % of {Seconds:N0} s)");
}
