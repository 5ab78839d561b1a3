using System.Diagnostics.Tracing;

namespace Booking.LoadTests;

/// <summary>The load tool's own collections during a run. While the tool is stopped, answers wait in
/// its sockets and are timed late, so its pauses show in the latencies it reports as if they were the
/// server's: a run's tail is only the server's where the tool's longest pause is well below it.</summary>
/// <param name="Seconds">How long the tool listened: the run and its drain.</param>
public sealed record ToolGcPauses(int Pauses, int Gen0, int Gen1, int Gen2, double TotalMs, double LongestMs, double Seconds);

/// <summary>Pairs the runtime's suspend and restart events into pauses and counts collections by generation.</summary>
public sealed class PauseTally
{
    private readonly object _gate = new();
    private DateTime? _suspendedAt;
    private int _pauses;
    private readonly int[] _collections = new int[3];
    private double _totalMs;
    private double _longestMs;

    public void Suspended(DateTime at)
    {
        lock (_gate)
        {
            _suspendedAt = at;
        }
    }

    /// <summary>The end of the pause begun at the last <see cref="Suspended"/>; a restart without one is ignored
    /// (the listener started in the middle of a pause).</summary>
    public void Restarted(DateTime at)
    {
        lock (_gate)
        {
            if (_suspendedAt is not { } from)
            {
                return;
            }
            _suspendedAt = null;
            var ms = Math.Max(0, (at - from).TotalMilliseconds);
            _pauses++;
            _totalMs += ms;
            _longestMs = Math.Max(_longestMs, ms);
        }
    }

    public void Collected(int generation)
    {
        lock (_gate)
        {
            _collections[Math.Clamp(generation, 0, 2)]++;
        }
    }

    public ToolGcPauses Read(double seconds)
    {
        lock (_gate)
        {
            return new ToolGcPauses(_pauses, _collections[0], _collections[1], _collections[2], Math.Round(_totalMs, 1), Math.Round(_longestMs, 1),
                Math.Round(seconds, 1));
        }
    }
}

/// <summary>Listens to the runtime's collection events in the tool's own process for the length of a run.</summary>
public sealed class ToolPauseListener : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly PauseTally _tally = new();
    private readonly long _startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private EventSource? _runtime;

    /// <summary>The pauses since this listener was made.</summary>
    public ToolGcPauses Read() => _tally.Read(System.Diagnostics.Stopwatch.GetElapsedTime(_startedAt).TotalSeconds);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Also called from the base constructor for sources that already exist (field initialisers have run by then).
        if (eventSource.Name == RuntimeSource)
        {
            _runtime = eventSource;
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        var name = e.EventName ?? "";
        if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
        {
            _tally.Suspended(e.TimeStamp);
        }
        else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal))
        {
            _tally.Restarted(e.TimeStamp);
        }
        else if (name.StartsWith("GCStart", StringComparison.Ordinal) && e.PayloadNames?.IndexOf("Depth") is int depth && depth >= 0)
        {
            _tally.Collected(Convert.ToInt32(e.Payload![depth], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public override void Dispose()
    {
        if (_runtime is not null)
        {
            DisableEvents(_runtime);
        }
        base.Dispose();
    }
}
