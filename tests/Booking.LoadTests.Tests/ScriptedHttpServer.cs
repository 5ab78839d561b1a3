using System.Net;
using System.Net.Sockets;

namespace Booking.LoadTests.Tests;

/// <summary>A raw HTTP/1.1 server on a free loopback port that answers every request (GETs: a head
/// without a body) exactly as a test scripts it, on every connection, until disposed.</summary>
public sealed class ScriptedHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public ScriptedHttpServer() => _listener.Start();

    public Uri Target => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Answers every request on every connection with <paramref name="answer"/>.</summary>
    public void Serve(Func<NetworkStream, Task> answer) => _ = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    while (await ReadRequestHead(stream))
                    {
                        await answer(stream);
                    }
                }
            });
        }
    });

    private static async Task<bool> ReadRequestHead(NetworkStream stream)
    {
        var seen = new List<byte>();
        var one = new byte[1];
        while (!(seen.Count >= 4 && seen[^4] == '\r' && seen[^3] == '\n' && seen[^2] == '\r' && seen[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return false;
            }
            seen.Add(one[0]);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _stop.Dispose();
    }
}
