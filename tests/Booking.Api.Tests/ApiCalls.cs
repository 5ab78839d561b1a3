using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Sdk;

namespace Booking.Api.Tests;

/// <summary>The portal calls the tests make, typed.</summary>
public static class ApiCalls
{
    public static Task<HttpResponseMessage> BookAsync(this HttpClient portal, BookingBody body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/bookings") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return portal.SendAsync(request);
    }

    /// <summary>Books and expects 201 with a Location header; returns the booking.</summary>
    public static async Task<BookingDto> BookOkAsync(this HttpClient portal, BookingBody body)
    {
        using var response = await portal.BookAsync(body);
        var booking = await Expect.BookingAsync(response, HttpStatusCode.Created);
        Assert.Equal($"/api/v1/bookings/{booking.Reference}", response.Headers.Location?.OriginalString);
        return booking;
    }

    public static Task<HttpResponseMessage> GetBookingAsync(this HttpClient portal, string reference, string birthDate) =>
        portal.GetAsync($"/api/v1/bookings/{reference}?birthDate={Uri.EscapeDataString(birthDate)}");

    public static Task<HttpResponseMessage> CancelAsync(this HttpClient portal, string reference, string birthDate) =>
        portal.DeleteAsync($"/api/v1/bookings/{reference}?birthDate={Uri.EscapeDataString(birthDate)}");

    public static Task<HttpResponseMessage> SlotsResponseAsync(this HttpClient portal, string centreId, DateOnly from, DateOnly to, string vaccine = "pfizer") =>
        portal.GetAsync($"/api/v1/centres/{centreId}/slots?vaccine={vaccine}&from={TestData.Iso(from)}&to={TestData.Iso(to)}");

    public static async Task<SlotDto[]> SlotsAsync(this HttpClient portal, string centreId, DateOnly from, DateOnly to, string vaccine = "pfizer")
    {
        using var response = await portal.SlotsResponseAsync(centreId, from, to, vaccine);
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<SlotDto[]>(JsonSerializerOptions.Web))!;
    }

    /// <summary>The seats left at <paramref name="slot"/>, as the listing of its day shows them.</summary>
    public static async Task<int> RemainingAsync(this HttpClient portal, WatchedSlot slot) =>
        (await portal.SlotsAsync(slot.CentreId, slot.Day, slot.Day)).Single(s => s.Start == slot.Start).Remaining;
}

/// <summary>The 10:00 slot of a centre a week from today, whose listing a test reads again and again.</summary>
public sealed record WatchedSlot(string CentreId)
{
    public DateOnly Day { get; } = TestData.Today.AddDays(7);

    public DateTimeOffset Start => TestData.At(Day, 10);
}

/// <summary>Assertions on responses that say what came back when they fail.</summary>
public static class Expect
{
    public static async Task<string> StatusAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != status)
        {
            throw new XunitException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)status} {status}, got {(int)response.StatusCode} {response.StatusCode}: {body}");
        }
        return body;
    }

    public static async Task<BookingDto> BookingAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await StatusAsync(response, status);
        return JsonSerializer.Deserialize<BookingDto>(body, JsonSerializerOptions.Web)
            ?? throw new XunitException("Empty booking body.");
    }

    /// <summary>An RFC 9457 problem with the given status and <c>type</c> "/problems/{suffix}".</summary>
    public static async Task<ProblemDto> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string typeSuffix)
    {
        var body = await StatusAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<ProblemDto>(body, JsonSerializerOptions.Web)
            ?? throw new XunitException("Empty problem body.");
        Assert.Equal("/problems/" + typeSuffix, problem.Type);
        Assert.Equal((int)status, problem.Status);
        return problem;
    }

    /// <summary>422 /problems/validation whose <c>errors</c> name exactly these fields.</summary>
    public static async Task<ProblemDto> ValidationAsync(HttpResponseMessage response, params string[] fields)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity, "validation");
        Assert.NotNull(problem.Errors);
        Assert.Equal(fields.Order(StringComparer.Ordinal), problem.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(problem.Errors.Values, messages => Assert.NotEmpty(messages));
        return problem;
    }
}

public static class Eventually
{
    /// <summary>Reads until <paramref name="accept"/> holds for the value read, or the deadline passes; returns that value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> accept, TimeSpan timeout, string what)
    {
        T value = default!;
        await TrueAsync(async () => accept(value = await read()), timeout, what);
        return value;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (no fixed sleeps).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(10);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                last = ex;
            }
            if (clock.Elapsed > timeout)
            {
                throw new XunitException($"Timed out after {timeout.TotalSeconds:0}s: {what}. {last}");
            }
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }
}
