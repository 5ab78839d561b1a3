namespace Booking.LoadTests.Tests;

public sealed class ToolPausesTests
{
    private static readonly DateTime T0 = new(2026, 11, 27, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_pause_lasts_from_the_suspension_to_the_restart()
    {
        var tally = new PauseTally();

        tally.Suspended(T0);
        tally.Restarted(T0.AddTicks(125_000));
        tally.Suspended(T0.AddSeconds(1));
        tally.Restarted(T0.AddSeconds(1).AddTicks(30_000));
        tally.Collected(0);
        tally.Collected(1);
        tally.Collected(0);

        Assert.Equal(new ToolGcPauses(2, 2, 1, 0, 15.5, 12.5, 30), tally.Read(30));
    }

    [Fact]
    public void A_restart_without_its_suspension_is_not_a_pause()
    {
        var tally = new PauseTally();

        // The listener started while the process was stopped: its restart is the only event seen.
        tally.Restarted(T0);
        tally.Restarted(T0.AddTicks(50_000));

        Assert.Equal(new ToolGcPauses(0, 0, 0, 0, 0, 0, 10), tally.Read(10));
    }

    [Fact]
    public void The_listener_sees_the_processes_own_collections()
    {
        using var listener = new ToolPauseListener();

        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        }

        // Runtime events reach an in-process listener on a thread of their own, a little later.
        var seen = listener.Read();
        SpinWait.SpinUntil(() => (seen = listener.Read()) is { Gen2: >= 3, Pauses: >= 3 }, TimeSpan.FromSeconds(20));
        Assert.True(seen.Gen2 >= 3, $"gen2 collections seen: {seen.Gen2}");
        Assert.True(seen.Pauses >= 3, $"pauses seen: {seen.Pauses}");
        Assert.InRange(seen.LongestMs, 0, seen.TotalMs);
    }

    [Fact]
    public void The_report_sets_the_pauses_against_the_time_listened()
    {
        var text = Report.ToolPausesText(new ToolGcPauses(13, 3, 7, 3, 147.2, 21.4, 30.1));

        Assert.Equal("13 pauses (collections: gen0 3, gen1 7, gen2 3), longest 21.4 ms, 147 ms in all (0.49 % of 30 s)", text);
    }
}
