using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Booking.LoadTests.Tests;

/// <summary>A run against a cluster goes through each silo's front door in turn, as a load balancer would.</summary>
public sealed class FrontDoorTests : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpListener> _listeners = [];

    /// <summary>A front door on a free loopback port that answers every request 204 and counts it.</summary>
    private (Uri Target, Func<int> Answered) Door()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _listeners.Add(listener);
        var answered = 0;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[4096];
                        var head = new StringBuilder();
                        int read;
                        while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                        {
                            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                            // GET requests only: each ends with its blank line.
                            while (head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                            {
                                head.Remove(0, end + 4);
                                Interlocked.Increment(ref answered);
                                await stream.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n"u8.ToArray(), _stop.Token);
                            }
                        }
                    }
                });
            }
        });
        return (new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), () => Volatile.Read(ref answered));
    }

    [Fact]
    public async Task Calls_go_to_each_front_door_in_turn_and_the_first_is_the_target()
    {
        var (first, firstAnswered) = Door();
        var (second, secondAnswered) = Door();
        using var api = new Api([first, second], 8, "portal-key", "operator-key", TimeSpan.FromSeconds(20));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(204, (await api.Get("/health/live", portal: false, CancellationToken.None)).Status);
        }
        var scrapes = await api.MetricsOfEachDoor(CancellationToken.None);

        Assert.Equal((6, 6), (firstAnswered(), secondAnswered()));
        Assert.Equal([204, 204], scrapes.Select(s => s.Status));
        Assert.Equal(first, api.Target);
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }
        _stop.Dispose();
    }
}
