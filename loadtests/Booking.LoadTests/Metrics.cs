using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace Booking.LoadTests;

/// <summary>Latencies of one kind of call: a recorder for per-second intervals and the whole run's histogram.</summary>
public sealed class Latency
{
    public const long MaxMicros = 120_000_000;

    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1).WithValuesUpTo(MaxMicros).WithPrecisionOf(3)
        .WithThreadSafeWrites().WithThreadSafeReads().Create();

    private HistogramBase? _interval;

    public LongHistogram Total { get; } = new(1, MaxMicros, 3);

    public void Record(long fromTimestamp, long toTimestamp)
    {
        var micros = (toTimestamp - fromTimestamp) * 1_000_000 / Stopwatch.Frequency;
        _recorder.RecordValue(Math.Clamp(micros, 1, MaxMicros));
    }

    /// <summary>Takes what was recorded since the last call, adds it to the total and returns it.</summary>
    public HistogramBase Interval()
    {
        _interval = _recorder.GetIntervalHistogram(_interval);
        Total.Add(_interval);
        return _interval;
    }

    public static double Ms(HistogramBase h, double percentile) => h.TotalCount == 0 ? double.NaN : h.GetValueAtPercentile(percentile) / 1000.0;
}

/// <summary>One second of the run as the live view and the charts show it.</summary>
public sealed record SecondSample(
    int Second, long Offered, long Confirmed, long BookingErrors, long Contention, long Listings, long Searches, long Dropped, long InFlight,
    double BookP50, double BookP95, double BookP99, double ListP50, double ListP99, double SearchP99, double FlowP99);

/// <summary>Counters of a run, safe to update from any thread.</summary>
public sealed class Metrics
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly int _seconds;
    private readonly int _steadyFrom;

    /// <param name="steadyFrom">The first second after the ramp: from then on, bookings also count in <see cref="BookingAfterRamp"/>.</param>
    public Metrics(int seconds, int steadyFrom = 0)
    {
        _seconds = seconds;
        _steadyFrom = steadyFrom;
        Offered = new long[seconds];
        Confirmed = new long[seconds];
        BookingErrors = new long[seconds];
        Contention = new long[seconds];
        Listings = new long[seconds];
        Searches = new long[seconds];
        Dropped = new long[seconds];
    }

    public long Start => _start;

    public long[] Offered { get; }
    public long[] Confirmed { get; }
    public long[] BookingErrors { get; }
    public long[] Contention { get; }
    public long[] Listings { get; }
    public long[] Searches { get; }
    public long[] Dropped { get; }

    public ConcurrentDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    public Latency Booking { get; } = new();

    /// <summary>Bookings answered 201 only: what a confirmed citizen waited, apart from refusals and
    /// failures, most of which come back faster than a booking is made.</summary>
    public Latency ConfirmedBooking { get; } = new();

    /// <summary>Bookings answered from the end of the ramp on: the rate offered, without a cold start's first seconds.</summary>
    public LongHistogram BookingAfterRamp { get; } = new(1, Latency.MaxMicros, 3);
    public Latency Flow { get; } = new();
    public Latency Listing { get; } = new();
    public Latency Search { get; } = new();
    public Latency Cancel { get; } = new();
    public Latency Reschedule { get; } = new();

    public List<SecondSample> Samples { get; } = [];

    public long InFlight;

    public int SecondOf(long timestamp) => Math.Clamp((int)((timestamp - _start) / Stopwatch.Frequency), 0, _seconds - 1);

    public double Elapsed => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    public void Count(long[] series, long timestamp) => Interlocked.Increment(ref series[SecondOf(timestamp)]);

    public void Outcome(string key) => Outcomes.AddOrUpdate(key, 1, static (_, n) => n + 1);

    public long Total(string prefix) => Outcomes.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(p => p.Value);

    /// <summary>Closes second <paramref name="second"/>: interval percentiles and that second's counters.</summary>
    public SecondSample Sample(int second)
    {
        var s = Math.Clamp(second, 0, _seconds - 1);
        var book = Booking.Interval();
        if (second >= _steadyFrom)
        {
            BookingAfterRamp.Add(book);
        }
        ConfirmedBooking.Interval();
        var list = Listing.Interval();
        var search = Search.Interval();
        var flow = Flow.Interval();
        Cancel.Interval();
        Reschedule.Interval();
        var sample = new SecondSample(second, Offered[s], Confirmed[s], BookingErrors[s], Contention[s], Listings[s], Searches[s], Dropped[s],
            Interlocked.Read(ref InFlight),
            Latency.Ms(book, 50), Latency.Ms(book, 95), Latency.Ms(book, 99), Latency.Ms(list, 50), Latency.Ms(list, 99), Latency.Ms(search, 99),
            Latency.Ms(flow, 99));
        Samples.Add(sample);
        return sample;
    }
}
