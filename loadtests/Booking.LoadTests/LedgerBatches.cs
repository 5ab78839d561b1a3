using System.Globalization;
using System.Text;

namespace Booking.LoadTests;

/// <summary>
/// The group-commit writer's figures as the API itself counts them: its <c>/metrics</c> (Prometheus'
/// text format), read before and after a run. The tool sees only answers; these say whether the
/// batches grew with the load and how long their commits took.
/// </summary>
/// <param name="DecisionBuckets">Cumulative count of batches by upper bound of decisions (the last is +∞).</param>
/// <param name="DurationBuckets">Cumulative count of batches by upper bound of commit time in seconds.</param>
public sealed record LedgerScrape(
    IReadOnlyList<(double UpperBound, long Batches)> DecisionBuckets, double Decisions,
    IReadOnlyList<(double UpperBound, long Batches)> DurationBuckets, long Failed)
{
    private const string DecisionsName = "booking_ledger_batch_decisions";
    private const string DurationName = "booking_ledger_batch_duration_seconds";
    private const string FailedName = "booking_ledger_batch_failed_total";
    private const string WaitingName = "booking_ledger_waiting";

    public long Batches => DecisionBuckets.Count == 0 ? 0 : DecisionBuckets[^1].Batches;

    /// <summary>The writer's series in a scrape; empty when its writer has not committed a batch yet
    /// (only its queue's gauge is there), null when the text has none (the SQL baseline, or an API without them).</summary>
    public static LedgerScrape? Parse(string text)
    {
        var decisions = new List<(double, long)>();
        var durations = new List<(double, long)>();
        double? decisionSum = null;
        long failed = 0;
        var writer = false;
        foreach (var (name, labels, value) in PrometheusText.Samples(text))
        {
            switch (name)
            {
                case DecisionsName + "_bucket":
                    decisions.Add((UpperBound(labels), (long)value));
                    break;
                case DecisionsName + "_sum":
                    decisionSum = value;
                    break;
                case DurationName + "_bucket":
                    durations.Add((UpperBound(labels), (long)value));
                    break;
                case FailedName:
                    failed = (long)value;
                    break;
                case WaitingName:
                    writer = true;
                    break;
            }
        }
        if (decisionSum is null && !writer)
        {
            return null;
        }
        decisions.Sort();
        durations.Sort();
        return new LedgerScrape(decisions, decisionSum ?? 0, durations, failed);
    }

    /// <summary>The writers of several silos as one: their counts added bound by bound; null if any is unknown.</summary>
    public static LedgerScrape? Sum(IReadOnlyList<LedgerScrape?> scrapes)
    {
        if (scrapes.Count == 0 || scrapes.Any(s => s is null))
        {
            return null;
        }
        static (double, long)[] Added(IEnumerable<IReadOnlyList<(double UpperBound, long Batches)>> buckets) =>
            buckets.SelectMany(b => b).GroupBy(b => b.UpperBound).Select(g => (g.Key, g.Sum(b => b.Batches))).Order().ToArray();
        return new LedgerScrape(Added(scrapes.Select(s => s!.DecisionBuckets)), scrapes.Sum(s => s!.Decisions),
            Added(scrapes.Select(s => s!.DurationBuckets)), scrapes.Sum(s => s!.Failed));
    }

    private static double UpperBound(string labels) =>
        PrometheusText.Number(PrometheusText.Label(labels, "le") ?? throw new FormatException($"A histogram bucket without its bound: {{{labels}}}."));
}

/// <summary>What the writer did between two scrapes: its batches, the decisions they carried and their
/// commit times. Percentiles are the upper bounds of the buckets they fall in (+∞ past the last).</summary>
public sealed record LedgerBatches(
    long Batches, double Decisions, double DecisionsPerBatch, double DecisionsP50, double DecisionsP99,
    double CommitP50Ms, double CommitP99Ms, long Failed)
{
    public static LedgerBatches? Between(LedgerScrape? before, LedgerScrape? after)
    {
        if (before is null || after is null)
        {
            return null;
        }
        var batches = after.Batches - before.Batches;
        var decisions = after.Decisions - before.Decisions;
        return new LedgerBatches(batches, decisions, batches == 0 ? 0 : Math.Round(decisions / batches, 1),
            Quantile(before.DecisionBuckets, after.DecisionBuckets, 0.50), Quantile(before.DecisionBuckets, after.DecisionBuckets, 0.99),
            Quantile(before.DurationBuckets, after.DurationBuckets, 0.50) * 1000, Quantile(before.DurationBuckets, after.DurationBuckets, 0.99) * 1000,
            after.Failed - before.Failed);
    }

    /// <summary>The upper bound of the bucket holding the <paramref name="q"/> quantile of what the later
    /// scrape counted beyond the earlier one; 0 when nothing was counted.</summary>
    public static double Quantile(IReadOnlyList<(double UpperBound, long Batches)> before, IReadOnlyList<(double UpperBound, long Batches)> after, double q)
    {
        var earlier = before.ToDictionary(b => b.UpperBound, b => b.Batches);
        var total = after.Count == 0 ? 0 : after[^1].Batches - earlier.GetValueOrDefault(after[^1].UpperBound);
        if (total <= 0)
        {
            return 0;
        }
        foreach (var (bound, cumulative) in after)
        {
            if (cumulative - earlier.GetValueOrDefault(bound) >= q * total)
            {
                return bound;
            }
        }
        return double.PositiveInfinity;
    }

    public string Text()
    {
        static string Bound(double v, string format) => double.IsPositiveInfinity(v) ? "beyond the last bucket" : "≤ " + v.ToString(format, CultureInfo.InvariantCulture);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{Batches:N0} batches committed, {Decisions:N0} decisions, {DecisionsPerBatch:F1} a batch ")
            .Append($"(p50 {Bound(DecisionsP50, "0")}, p99 {Bound(DecisionsP99, "0")}); ")
            .Append($"commit p50 {Bound(CommitP50Ms, "0.###")} ms, p99 {Bound(CommitP99Ms, "0.###")} ms; ")
            .Append(CultureInfo.InvariantCulture, $"{Failed:N0} failed");
        return text.ToString();
    }
}
