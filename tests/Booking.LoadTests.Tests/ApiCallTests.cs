using System.Globalization;
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
    private static readonly DateOnly Today = new(2030, 3, 5);
    private readonly ScriptedHttpServer _server = new();
    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static byte[] Head(int contentLength) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n");

    private Api Client(TimeSpan timeout) => new(_server.Target, 4, "portal-key", "operator-key", timeout);

    [Fact]
    public async Task A_body_the_tool_does_not_keep_is_read_to_its_end_and_the_connection_serves_the_next_call()
    {
        var body = Enumerable.Range(0, 300_000).Select(i => (byte)('a' + i % 26)).ToArray();
        var answered = 0;
        _server.Serve(async stream =>
        {
            await stream.WriteAsync(Head(body.Length));
            await stream.WriteAsync(body);
            Interlocked.Increment(ref answered);
        });
        using var api = Client(Deadline);

        var first = await api.Slots("c-1", "pfizer", Today, Today, CancellationToken.None);
        var second = await api.Slots("c-1", "pfizer", Today, Today, CancellationToken.None);

        Assert.Equal((200, null, null), (first.Status, first.ProblemType, first.Body));
        Assert.Equal((200, null, null), (second.Status, second.ProblemType, second.Body));
        Assert.Equal(2, answered);
        Assert.Equal(1, _server.Connections);
    }

    /// <summary>A city centre's week and more: 3,000 slots, about 200 KB, with and without a length.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_listing_is_parsed_whole_from_a_pooled_buffer(bool chunked)
    {
        var start = new DateTimeOffset(2030, 3, 5, 8, 0, 0, TimeSpan.FromHours(1));
        string Slot(int i) =>
            "{\"start\":\"" + start.AddMinutes(5 * i).ToString("yyyy-MM-dd'T'HH':'mm':'sszzz", CultureInfo.InvariantCulture)
            + "\",\"remaining\":" + (1 + i % 7)
            + ",\"secondDose\":{\"earliest\":\"2030-03-26T09:00:00+01:00\",\"latest\":\"2030-04-23T11:00:00+02:00\"}}";
        var json = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, 3_000).Select(Slot)) + "]");
        _server.Serve(async stream =>
        {
            if (!chunked)
            {
                await stream.WriteAsync(Head(json.Length));
                await stream.WriteAsync(json);
                return;
            }
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
            foreach (var chunk in json.Chunk(7_000))
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"));
                await stream.WriteAsync(chunk);
                await stream.WriteAsync("\r\n"u8.ToArray());
            }
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        });
        using var api = Client(Deadline);

        var (result, slots) = await api.ListSlots("c-1", "pfizer", Today, Today.AddDays(6), CancellationToken.None);

        Assert.Equal(200, result.Status);
        Assert.Null(result.Body);
        Assert.Equal(3_000, slots.Count);
        Assert.Equal(("2030-03-05T08:00:00+01:00", 1), (slots[0].Start, slots[0].Remaining));
        Assert.Equal(("2030-03-15T17:55:00+01:00", 4), (slots[^1].Start, slots[^1].Remaining));
    }

    [Fact]
    public async Task A_body_that_stalls_after_its_headers_times_out()
    {
        _server.Serve(async stream =>
        {
            await stream.WriteAsync(Head(1_000));
            await stream.WriteAsync("[{\"start\""u8.ToArray());
            await _never.Task;
        });
        using var api = Client(TimeSpan.FromMilliseconds(300));

        var result = await api.Slots("c-1", "pfizer", Today, Today, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal((0, "timeout"), (result.Status, result.Outcome));
    }

    [Fact]
    public async Task A_body_cut_off_after_its_headers_is_an_http_error()
    {
        _server.Serve(async stream =>
        {
            await stream.WriteAsync(Head(1_000));
            await stream.WriteAsync("[{\"start\""u8.ToArray());
            stream.Socket.Close();
        });
        using var api = Client(Deadline);

        var result = await api.Slots("c-1", "pfizer", Today, Today, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal("http-error: ResponseEnded", result.Outcome);
    }

    [Fact]
    public async Task A_seed_manifest_whose_centres_the_target_does_not_know_is_refused_before_a_run()
    {
        var refusal = await Record.ExceptionAsync(() => CheckSeeded(404, """{"type":"/problems/centre-not-found","status":404}"""));

        Assert.Contains("does not know centre n-0001", Assert.IsType<InvalidOperationException>(refusal).Message);
    }

    [Fact]
    public async Task A_seed_manifest_whose_first_centre_answers_is_accepted() =>
        Assert.Null(await Record.ExceptionAsync(() => CheckSeeded(200, "[]")));

    private async Task CheckSeeded(int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        _server.Serve(async stream =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {status} {(status == 404 ? "Not Found" : "OK")}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n"));
            await stream.WriteAsync(bytes);
        });
        using var api = Client(Deadline);
        var centre = new SeededCentre("n-0001", "Centre", "Reims", "51100", 49.3, 4.0, "Europe/Paris", 2, 10, [], ["pfizer"], 1, false, []);
        await Scenarios.RequireSeeded(api, new SeedManifest("grains", _server.Target.ToString(), "n", false, DateTimeOffset.UtcNow, 1, [centre]), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        _never.TrySetResult();
        await _server.DisposeAsync();
    }
}
