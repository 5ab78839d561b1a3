namespace Booking.LoadTests.Tests;

/// <summary>The writer's figures read from the API's Prometheus text, and what happened between two scrapes.</summary>
public sealed class LedgerBatchesTests
{
    /// <summary>A scrape as the API writes it: the writer's series among others, with the scope label.</summary>
    private static string Scrape(long[] decisionBuckets, double decisionSum, long[] durationBuckets, long? failed) =>
        string.Join('\n', new[]
            {
                "# TYPE target_info gauge",
                "target_info{service_name=\"Booking.Api\"} 1",
                "# TYPE booking_ledger_batch_decisions histogram",
                "# HELP booking_ledger_batch_decisions Decisions written by each committed batch of the group-commit writer.",
            }
            .Concat(Buckets("booking_ledger_batch_decisions", ["1", "2", "4", "8"], decisionBuckets))
            .Append($"booking_ledger_batch_decisions_sum{{otel_scope_name=\"Booking.Engine\"}} {decisionSum.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
            .Append($"booking_ledger_batch_decisions_count{{otel_scope_name=\"Booking.Engine\"}} {decisionBuckets[^1]}")
            .Append("# TYPE booking_ledger_batch_duration_seconds histogram")
            .Concat(Buckets("booking_ledger_batch_duration_seconds", ["0.001", "0.002", "0.005"], durationBuckets))
            .Concat(failed is { } f ? [$"booking_ledger_batch_failed_total{{otel_scope_name=\"Booking.Engine\"}} {f} 1764262800000"] : [])
            .Append("http_server_active_requests{http_request_method=\"POST\",url_scheme=\"http\"} 3")
            .Append(""));

    private static IEnumerable<string> Buckets(string name, string[] bounds, long[] cumulative) =>
        bounds.Append("+Inf").Select((le, i) => $"{name}_bucket{{otel_scope_name=\"Booking.Engine\",le=\"{le}\"}} {cumulative[i]}");

    [Fact]
    public void A_scrape_gives_the_writer_s_buckets_sum_and_failures()
    {
        var scrape = LedgerScrape.Parse(Scrape([2, 5, 9, 10, 10], 31, [4, 8, 10, 10], failed: 3))!;

        Assert.Equal(10, scrape.Batches);
        Assert.Equal(31, scrape.Decisions);
        Assert.Equal(new (double, long)[] { (1, 2), (2, 5), (4, 9), (8, 10), (double.PositiveInfinity, 10) }, scrape.DecisionBuckets);
        Assert.Equal(new (double, long)[] { (0.001, 4), (0.002, 8), (0.005, 10), (double.PositiveInfinity, 10) }, scrape.DurationBuckets);
        Assert.Equal(3, scrape.Failed);
    }

    [Fact]
    public void A_scrape_without_the_writer_s_series_gives_nothing_and_a_missing_failure_counter_is_zero()
    {
        Assert.Null(LedgerScrape.Parse("# TYPE up gauge\nup 1\n"));
        Assert.Equal(0, LedgerScrape.Parse(Scrape([1, 1, 1, 1, 1], 1, [1, 1, 1, 1], failed: null))!.Failed);
    }

    [Fact]
    public void Between_two_scrapes_counts_only_what_the_later_one_added()
    {
        var before = LedgerScrape.Parse(Scrape([2, 5, 9, 10, 10], 31, [4, 8, 10, 10], failed: 1));
        // 100 more batches: 10 of one decision, 10 of two, 66 of three or four, 14 of five to eight;
        // 60 committed within 1 ms, 39 more within 2 ms, 1 past 5 ms.
        var after = LedgerScrape.Parse(Scrape([12, 25, 95, 110, 110], 331, [64, 107, 109, 110], failed: 2));

        var between = LedgerBatches.Between(before, after)!;

        Assert.Equal(new LedgerBatches(100, 300, 3.0, DecisionsP50: 4, DecisionsP99: 8, CommitP50Ms: 1, CommitP99Ms: 2, Failed: 1), between);
        Assert.Equal(double.PositiveInfinity, LedgerBatches.Quantile(before!.DurationBuckets, after!.DurationBuckets, 0.999));
        Assert.Equal("100 batches committed, 300 decisions, 3.0 a batch (p50 ≤ 4, p99 ≤ 8); commit p50 ≤ 1 ms, p99 ≤ 2 ms; 1 failed", between.Text());
    }

    [Fact]
    public void A_writer_without_a_batch_yet_is_an_empty_scrape()
    {
        var scrape = LedgerScrape.Parse("# TYPE booking_ledger_waiting gauge\nbooking_ledger_waiting{otel_scope_name=\"Booking.Engine\"} 0\n")!;

        Assert.Equal((0L, 0.0, 0L), (scrape.Batches, scrape.Decisions, scrape.Failed));
        Assert.Empty(scrape.DecisionBuckets);
    }

    [Fact]
    public void The_writers_of_several_silos_add_up_bound_by_bound()
    {
        var first = LedgerScrape.Parse(Scrape([2, 5, 9, 10, 10], 31, [4, 8, 10, 10], failed: 1));
        var second = LedgerScrape.Parse(Scrape([1, 1, 3, 4, 4], 12, [0, 2, 3, 4], failed: null));
        var idle = LedgerScrape.Parse("booking_ledger_waiting{otel_scope_name=\"Booking.Engine\"} 0\n");

        var both = LedgerScrape.Sum([first, second, idle])!;

        Assert.Equal(new (double, long)[] { (1, 3), (2, 6), (4, 12), (8, 14), (double.PositiveInfinity, 14) }, both.DecisionBuckets);
        Assert.Equal(new (double, long)[] { (0.001, 4), (0.002, 10), (0.005, 13), (double.PositiveInfinity, 14) }, both.DurationBuckets);
        Assert.Equal((14L, 43.0, 1L), (both.Batches, both.Decisions, both.Failed));
        Assert.Null(LedgerScrape.Sum([first, null]));
    }

    [Fact]
    public void Nothing_between_two_equal_scrapes_and_nothing_without_both()
    {
        var scrape = LedgerScrape.Parse(Scrape([2, 5, 9, 10, 10], 31, [4, 8, 10, 10], failed: 0));

        Assert.Equal(new LedgerBatches(0, 0, 0, 0, 0, 0, 0, 0), LedgerBatches.Between(scrape, scrape));
        Assert.Null(LedgerBatches.Between(null, scrape));
        Assert.Null(LedgerBatches.Between(scrape, null));
    }
}
