using Booking.Grains.Citizens;

namespace Booking.Domain.Tests;

/// <summary>One key's work passes one at a time and in order; other keys do not wait; nothing is kept.</summary>
public class KeyedTurnsTests
{
    [Fact]
    public async Task Work_for_one_key_waits_for_the_work_before_it_and_other_keys_go_on()
    {
        var turns = new KeyedTurns();
        var firstGate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();

        var first = turns.Run("a", async () => { order.Add("a1 start"); var r = await firstGate.Task; order.Add("a1 end"); return r; });
        var second = turns.Run("a", () => { order.Add("a2"); return Task.FromResult("second"); });
        var other = turns.Run("b", () => { order.Add("b1"); return Task.FromResult("other"); });

        Assert.Equal("other", await other);
        Assert.False(second.IsCompleted);
        Assert.Equal(["a1 start", "b1"], order);
        Assert.Equal(1, turns.Busy);

        firstGate.SetResult("first");
        Assert.Equal("first", await first);
        Assert.Equal("second", await second);
        Assert.Equal(["a1 start", "b1", "a1 end", "a2"], order);
        Assert.Equal(0, turns.Busy);
    }

    [Fact]
    public async Task A_failed_turn_fails_its_caller_only()
    {
        var turns = new KeyedTurns();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var failing = turns.Run<int>("a", async () => { await gate.Task; throw new InvalidOperationException("lost"); });
        var next = turns.Run("a", () => Task.FromResult(2));
        gate.SetResult(0);

        Assert.Equal("lost", (await Assert.ThrowsAsync<InvalidOperationException>(() => failing)).Message);
        Assert.Equal(2, await next);
        Assert.Equal(0, turns.Busy);
    }
}
