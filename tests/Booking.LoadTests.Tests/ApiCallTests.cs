using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Booking.LoadTests.Tests;

/// <summary>
/// How the tool's calls read answers, against a raw HTTP/1.1 server on loopback that answers
/// exactly what each test scripts: bodies the tool does not keep are streamed, not buffered, and a
/// body that stalls or is cut off still ends the call with an outcome.
/// </summary>
public sealed class ApiCallTests : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connections;

    public ApiCallTests() => _listener.Start();

    private Uri Target => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Answers every request on every connection with <paramref name="answer"/>.</summary>
    private void Serve(Func<NetworkStream, Task> answer) => _ = Task.Run(async () =>
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

    private static byte[] Head(int contentLength) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n");

    private Api Client(TimeSpan timeout) => new(Target, 4, "portal-key", "operator-key", timeout);

    [Fact]
    public async Task A_body_the_tool_does_not_keep_is_read_to_its_end_and_the_connection_serves_the_next_call()
    {
        var body = Enumerable.Range(0, 300_000).Select(i => (byte)('a' + i % 26)).ToArray();
        var answered = 0;
        Serve(async stream =>
        {
            await stream.WriteAsync(Head(body.Length));
            await stream.WriteAsync(body);
            Interlocked.Increment(ref answered);
        });
        using var api = Client(Deadline);
        var today = new DateOnly(2030, 3, 5);

        var dropped = await api.Slots("c-1", "pfizer", today, today, keepBody: false, CancellationToken.None);
        var kept = await api.Slots("c-1", "pfizer", today, today, keepBody: true, CancellationToken.None);

        Assert.Equal((200, null, null), (dropped.Status, dropped.ProblemType, dropped.Body));
        Assert.Equal(200, kept.Status);
        Assert.Equal(body, kept.Body);
        Assert.Equal(2, answered);
        Assert.Equal(1, _connections);
    }

    [Fact]
    public async Task A_body_that_stalls_after_its_headers_times_out()
    {
        Serve(async stream =>
        {
            await stream.WriteAsync(Head(1_000));
            await stream.WriteAsync("[{\"start\""u8.ToArray());
            await _never.Task;
        });
        using var api = Client(TimeSpan.FromMilliseconds(300));
        var today = new DateOnly(2030, 3, 5);

        var result = await api.Slots("c-1", "pfizer", today, today, keepBody: false, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal((0, "timeout"), (result.Status, result.Outcome));
    }

    [Fact]
    public async Task A_body_cut_off_after_its_headers_is_an_http_error()
    {
        Serve(async stream =>
        {
            await stream.WriteAsync(Head(1_000));
            await stream.WriteAsync("[{\"start\""u8.ToArray());
            stream.Socket.Close();
        });
        using var api = Client(Deadline);
        var today = new DateOnly(2030, 3, 5);

        var result = await api.Slots("c-1", "pfizer", today, today, keepBody: false, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal("http-error: ResponseEnded", result.Outcome);
    }

    public async ValueTask DisposeAsync()
    {
        _never.TrySetResult();
        await _stop.CancelAsync();
        _listener.Stop();
        _stop.Dispose();
    }
}
