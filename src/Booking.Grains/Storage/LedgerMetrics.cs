using System.Diagnostics.Metrics;

namespace Booking.Grains.Storage;

/// <summary>
/// What the silo's group-commit writer does, under the meter <see cref="MeterName"/>: how many
/// decisions each batch carried, how long it took from gathering its rows to its commit, how many
/// batches failed, and how many decisions wait for the next one. A rehearsal reads them to see
/// whether batches grow with the load, as they should, and whether commits or the queue are what
/// holds bookings up.
/// </summary>
public sealed class LedgerMetrics
{
    public const string MeterName = "Booking.Engine";

    private readonly Histogram<int> _decisions;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failed;

    public LedgerMetrics(IMeterFactory meters, Func<int> waiting)
    {
        var meter = meters.Create(MeterName);
        _decisions = meter.CreateHistogram("booking.ledger.batch.decisions", "{decision}",
            "Decisions written by each committed batch of the group-commit writer.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] });
        _duration = meter.CreateHistogram("booking.ledger.batch.duration", "s",
            "Time from gathering a committed batch's rows to its commit: what the writer spends on each batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _failed = meter.CreateCounter<long>("booking.ledger.batch.failed", "{batch}",
            "Batches that did not commit; each failed every decision it carried.");
        meter.CreateObservableGauge("booking.ledger.waiting", waiting, "{decision}",
            "Decisions queued for the group-commit writer's next batch.");
    }

    public void Committed(int decisions, TimeSpan took)
    {
        _decisions.Record(decisions);
        _duration.Record(took.TotalSeconds);
    }

    public void Failed() => _failed.Add(1);
}
