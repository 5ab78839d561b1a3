using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Booking.LoadTests;

/// <summary>A first-dose slot as listed: its start exactly as the API wrote it (sent back verbatim) and its free seats.</summary>
public readonly record struct ListedSlot(ListedSlots Listing, int Index)
{
    public string Start => Listing.StartOf(Index);

    /// <summary>The free seats the tool believes are left, counted down in place as it books.</summary>
    public ref int Remaining => ref Listing.RemainingOf(Index);
}

/// <summary>
/// A listing as the tool keeps it between refreshes: every start's text in one array, the free
/// seats in another. The tool keeps one per centre and vaccine it books at and replaces it every
/// 2 s; as an object per slot and a string per start, a city centre's thousand slots lived just
/// long enough to be promoted, and the tool's collections paused it for up to 0.4 s. Even as three
/// arrays they were most of what its collections copied (about 10 MB each at 1,500 pairs/s, with
/// pauses of up to 22 ms), so the arrays are allocated pinned (<see cref="Api.ParseSlots"/>):
/// never copied, and freed by the background collections of the oldest generation.
/// </summary>
public sealed class ListedSlots : IReadOnlyList<ListedSlot>
{
    private readonly byte[] _starts;
    private readonly int[] _ends;
    private readonly int[] _remaining;

    public ListedSlots(byte[] starts, int[] ends, int[] remaining)
    {
        _starts = starts;
        _ends = ends;
        _remaining = remaining;
    }

    public static ListedSlots Empty { get; } = new([], [], []);

    public int Count => _ends.Length;

    public ListedSlot this[int index] => new(this, index);

    public string StartOf(int index) => Encoding.ASCII.GetString(StartText(index));

    public bool StartIs(int index, string text) => Ascii.Equals(StartText(index), text);

    public ref int RemainingOf(int index) => ref _remaining[index];

    /// <summary>Whether the slot still has a seat as far as the tool knows, and is not <paramref name="except"/>.</summary>
    public bool IsFree(int index, string? except = null) =>
        Volatile.Read(ref _remaining[index]) > 0 && (except is null || !StartIs(index, except));

    /// <summary>Whether the slot starts at <paramref name="instant"/> or later.</summary>
    public bool StartsFrom(int index, DateTimeOffset instant)
    {
        var text = StartText(index);
        Span<char> chars = stackalloc char[text.Length];
        Encoding.ASCII.GetChars(text, chars);
        return DateTimeOffset.TryParse(chars, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start) && start >= instant;
    }

    /// <summary>Whether the slot is free (and not <paramref name="except"/>) and starts at <paramref name="notBefore"/> or later: one the tool would book.</summary>
    public bool IsBookable(int index, DateTimeOffset notBefore, string? except = null) =>
        IsFree(index, except) && StartsFrom(index, notBefore);

    /// <summary>Whether any slot is still bookable; starts are read only for free slots, and the search stops at the first.</summary>
    public bool AnyBookable(DateTimeOffset notBefore)
    {
        for (var i = 0; i < Count; i++)
        {
            if (IsBookable(i, notBefore))
            {
                return true;
            }
        }
        return false;
    }

    public IEnumerator<ListedSlot> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private ReadOnlySpan<byte> StartText(int index)
    {
        var from = index == 0 ? 0 : _ends[index - 1];
        return _starts.AsSpan(from, _ends[index] - from);
    }
}

/// <summary>The outcome of one HTTP call: status (0 when no answer came), the problem type of a refusal, and the body when asked for.</summary>
public readonly record struct CallResult(int Status, string? ProblemType, byte[]? Body)
{
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>How the call is counted: "201", "409 slot-full", "503 unavailable", "timeout", …</summary>
    public string Outcome => Status == 0 ? ProblemType ?? "no-response" : ProblemType is null ? Status.ToString() : $"{Status} {ProblemType}";
}

/// <summary>The HTTP calls the load tool makes, on one pooled client per front door, taken in turn.
/// Targets are checked to be loopback before this exists.</summary>
public sealed class Api : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient[] _doors;
    private readonly TimeSpan _timeout;
    private readonly string _portalKey;
    private readonly string _operatorKey;
    private uint _turn;

    public Api(Uri target, int connections, string portalKey, string operatorKey, TimeSpan timeout)
        : this([target], connections, portalKey, operatorKey, timeout)
    {
    }

    /// <summary>Calls spread over <paramref name="targets"/> one after the other; the
    /// <paramref name="connections"/> are shared out among them.</summary>
    public Api(IReadOnlyList<Uri> targets, int connections, string portalKey, string operatorKey, TimeSpan timeout)
    {
        _doors = targets.Select(target => Door(target, Math.Max(1, connections / targets.Count), timeout)).ToArray();
        _timeout = timeout;
        _portalKey = portalKey;
        _operatorKey = operatorKey;
        Target = targets[0];
    }

    private static HttpClient Door(Uri target, int connections, TimeSpan timeout)
    {
        Options.RequireLoopback(target, "target");
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        return new HttpClient(handler) { BaseAddress = target, Timeout = timeout, DefaultRequestVersion = HttpVersion.Version11 };
    }

    /// <summary>The first front door: the one seeding and the checks go through.</summary>
    public Uri Target { get; }

    public void Dispose()
    {
        foreach (var door in _doors)
        {
            door.Dispose();
        }
    }

    private HttpClient NextDoor() => _doors.Length == 1 ? _doors[0] : _doors[Interlocked.Increment(ref _turn) % (uint)_doors.Length];

    public Task<CallResult> PutCentre(string centreId, byte[] body, CancellationToken ct) =>
        Send(HttpMethod.Put, $"/api/v1/manage/centres/{centreId}", body, _operatorKey, null, keepBody: false, ct);

    public Task<CallResult> PostDelivery(string centreId, byte[] body, CancellationToken ct) =>
        Send(HttpMethod.Post, $"/api/v1/manage/centres/{centreId}/deliveries", body, _operatorKey, null, keepBody: true, ct);

    public Task<CallResult> ChangeDelivery(string centreId, string deliveryId, byte[] body, CancellationToken ct) =>
        Send(HttpMethod.Put, $"/api/v1/manage/centres/{centreId}/deliveries/{deliveryId}", body, _operatorKey, null, keepBody: true, ct);

    /// <summary>A slots listing whose body is read and dropped (a portal's search, the reads scenario).</summary>
    public Task<CallResult> Slots(string centreId, string vaccine, DateOnly from, DateOnly to, CancellationToken ct) =>
        Send(HttpMethod.Get, SlotsPath(centreId, vaccine, from, to), null, _portalKey, null, keepBody: false, ct);

    /// <summary>A slots listing read into a pooled buffer and parsed there: a city centre's week is
    /// 145 KB, and an array of its own each time went to the tool's large object heap, whose budget
    /// then set off a full collection every few seconds.</summary>
    public async Task<(CallResult Result, ListedSlots Slots)> ListSlots(string centreId, string vaccine, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var slots = ListedSlots.Empty;
        var result = await Send(HttpMethod.Get, SlotsPath(centreId, vaccine, from, to), null, _portalKey, null, keepBody: false, ct,
            body => slots = ParseSlots(body.Span)).ConfigureAwait(false);
        return (result, slots);
    }

    private static string SlotsPath(string centreId, string vaccine, DateOnly from, DateOnly to) =>
        $"/api/v1/centres/{centreId}/slots?vaccine={vaccine}&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}";

    /// <summary>A centre search around a point, as a citizen runs it before choosing a centre; the answer is read and dropped.</summary>
    public Task<CallResult> SearchCentres(double latitude, double longitude, int radiusKm, string? vaccine, CancellationToken ct) =>
        Send(HttpMethod.Get, SearchPath(latitude, longitude, radiusKm, vaccine), null, _portalKey, null, keepBody: false, ct);

    /// <summary>Coordinates in the invariant culture: a decimal comma would make the API refuse the query.</summary>
    public static string SearchPath(double latitude, double longitude, int radiusKm, string? vaccine) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/v1/centres?lat={latitude:F4}&lon={longitude:F4}&radiusKm={radiusKm}")
        + (vaccine is null ? "" : $"&vaccine={vaccine}");

    public Task<CallResult> Book(byte[] body, string idempotencyKey, CancellationToken ct) =>
        Send(HttpMethod.Post, "/api/v1/bookings", body, _portalKey, idempotencyKey, keepBody: true, ct);

    public Task<CallResult> CancelBooking(string reference, string birthDate, CancellationToken ct) =>
        Send(HttpMethod.Delete, $"/api/v1/bookings/{reference}?birthDate={birthDate}", null, _portalKey, null, keepBody: false, ct);

    public Task<CallResult> RescheduleBooking(string reference, string birthDate, byte[] body, CancellationToken ct) =>
        Send(HttpMethod.Post, $"/api/v1/bookings/{reference}/reschedule?birthDate={birthDate}", body, _portalKey, null, keepBody: false, ct);

    /// <summary>Each front door's metrics in Prometheus' text format, which only the operator key may read.</summary>
    public Task<CallResult[]> MetricsOfEachDoor(CancellationToken ct) =>
        Task.WhenAll(_doors.Select(door => Send(HttpMethod.Get, "/metrics", null, _operatorKey, null, keepBody: true, ct, door: door)));

    public Task<CallResult> Get(string path, bool portal, CancellationToken ct) =>
        Send(HttpMethod.Get, path, null, portal ? _portalKey : null, null, keepBody: false, ct);

    private async Task<CallResult> Send(HttpMethod method, string path, byte[]? body, string? apiKey, string? idempotencyKey, bool keepBody, CancellationToken ct,
        Action<ReadOnlyMemory<byte>>? readBody = null, HttpClient? door = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", apiKey);
        }
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = Json;
        }
        // The client's own timeout ends at the headers; this one also bounds the body.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct);
        call.CancelAfter(_timeout);
        try
        {
            using var response = await (door ?? NextDoor()).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, call.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                if (keepBody)
                {
                    return new CallResult(status, null, await response.Content.ReadAsByteArrayAsync(call.Token).ConfigureAwait(false));
                }
                if (readBody is not null)
                {
                    await ReadPooled(response.Content, readBody, call.Token).ConfigureAwait(false);
                    return new CallResult(status, null, null);
                }
                await Drain(response.Content, call.Token).ConfigureAwait(false);
                return new CallResult(status, null, null);
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(call.Token).ConfigureAwait(false);
            return new CallResult(status, ProblemType(bytes), bytes);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new CallResult(0, "timeout", null);
        }
        catch (HttpRequestException e)
        {
            return new CallResult(0, "http-error: " + (e.HttpRequestError.ToString()), null);
        }
        catch (HttpIOException e)
        {
            // A body cut off after its headers: streamed, the client reports it this way.
            return new CallResult(0, "http-error: " + e.HttpRequestError, null);
        }
    }

    /// <summary>Reads a body nobody looks at through one pooled buffer: buffering it whole, as the
    /// client does by default, cost the tool a large array for every city centre's week it listed.</summary>
    private static async Task Drain(HttpContent content, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var body = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            int read;
            do
            {
                read = await body.ReadAsync(buffer, ct).ConfigureAwait(false);
            }
            while (read > 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads a whole body into a buffer rented from the pool, hands it to <paramref name="read"/>
    /// and gives the buffer back.</summary>
    private static async Task ReadPooled(HttpContent content, Action<ReadOnlyMemory<byte>> read, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(content.Headers.ContentLength ?? 0, 16 * 1024, 64 * 1024 * 1024));
        try
        {
            await using var body = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var length = 0;
            int got;
            while ((got = await body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
            {
                length += got;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            read(buffer.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The suffix of an RFC 9457 problem's type ("/problems/slot-full" → "slot-full"), or null.</summary>
    public static string? ProblemType(byte[] body)
    {
        if (body.Length == 0 || body[0] != (byte)'{')
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(body);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String)
                {
                    var type = reader.GetString()!;
                    var slash = type.LastIndexOf('/');
                    return slash >= 0 ? type[(slash + 1)..] : type;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // A body that is not JSON has no problem type: the call still counts under its status.
            return null;
        }
        return null;
    }

    /// <summary>A slots listing: top-level objects' start and remaining; nested members are skipped.</summary>
    public static ListedSlots ParseSlots(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return ListedSlots.Empty;
        }
        var starts = new ArrayBufferWriter<byte>(body.Length / 4 + 1);
        var ends = new List<int>();
        var seats = new List<int>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            // The start as written: where it lies in the body, or its unescaped bytes if it was
            // escaped (the API writes none so).
            (int Offset, int Length)? start = null;
            byte[]? unescaped = null;
            var remaining = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("start"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        start = ((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
                        unescaped = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : null;
                    }
                }
                else if (reader.ValueTextEquals("remaining"u8))
                {
                    reader.Read();
                    remaining = reader.GetInt32();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (start is { } text && remaining > 0)
            {
                starts.Write(unescaped ?? body.Slice(text.Offset, text.Length));
                ends.Add(starts.WrittenCount);
                seats.Add(remaining);
            }
        }
        return new ListedSlots(Pinned(starts.WrittenSpan), Pinned<int>(CollectionsMarshal.AsSpan(ends)), Pinned<int>(CollectionsMarshal.AsSpan(seats)));
    }

    /// <summary>A copy on the pinned heap, which young collections neither scan as new nor copy.</summary>
    private static T[] Pinned<T>(ReadOnlySpan<T> items)
    {
        var array = GC.AllocateUninitializedArray<T>(items.Length, pinned: true);
        items.CopyTo(array);
        return array;
    }

    /// <summary>A string member at the top level of a JSON object ("reference", "deliveryId").</summary>
    public static string? TopLevelString(byte[]? body, string name)
    {
        if (body is null || body.Length == 0)
        {
            return null;
        }
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        var utf8 = Encoding.UTF8.GetBytes(name);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(utf8);
            reader.Read();
            if (match && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }
            reader.Skip();
        }
        return null;
    }

    /// <summary>The "start" of each appointment in a booking answer, by dose.</summary>
    public static List<(int Dose, string Start)> Appointments(byte[]? body)
    {
        var result = new List<(int, string)>();
        if (body is null)
        {
            return result;
        }
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.TryGetProperty("appointments", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in list.EnumerateArray())
            {
                result.Add((a.GetProperty("dose").GetInt32(), a.GetProperty("start").GetString() ?? ""));
            }
        }
        return result;
    }
}
