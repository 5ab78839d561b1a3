namespace Booking.LoadTests.Tests;

/// <summary>A run against a cluster goes through each silo's front door in turn, as a load balancer would.</summary>
public sealed class FrontDoorTests : IAsyncDisposable
{
    private readonly ScriptedHttpServer _first = new();
    private readonly ScriptedHttpServer _second = new();

    /// <summary>Answers every request 204 and counts it.</summary>
    private static Func<int> AnswerNoContent(ScriptedHttpServer door)
    {
        var answered = 0;
        door.Serve(async stream =>
        {
            Interlocked.Increment(ref answered);
            await stream.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n"u8.ToArray());
        });
        return () => Volatile.Read(ref answered);
    }

    [Fact]
    public async Task Calls_go_to_each_front_door_in_turn_and_the_first_is_the_target()
    {
        var firstAnswered = AnswerNoContent(_first);
        var secondAnswered = AnswerNoContent(_second);
        using var api = new Api([_first.Target, _second.Target], 8, "portal-key", "operator-key", TimeSpan.FromSeconds(20));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(204, (await api.Get("/health/live", portal: false, CancellationToken.None)).Status);
        }
        var scrapes = await api.MetricsOfEachDoor(CancellationToken.None);

        Assert.Equal((6, 6), (firstAnswered(), secondAnswered()));
        Assert.Equal([204, 204], scrapes.Select(s => s.Status));
        Assert.Equal(_first.Target, api.Target);
    }

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }
}
