using System.Net;
using System.Net.Http.Json;
using System.Text;
using Booking.Api.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Booking.Api.Tests;

/// <summary>A host with small quotas: 30 requests a second per portal key, 10 per address without a key.</summary>
public sealed class SmallQuotaFixture() : ApiFixture(new Dictionary<string, string?>
{
    ["Booking:PermitsPerSecond"] = "30",
    ["Booking:AnonymousPermitsPerSecond"] = "10",
});

public sealed class RateLimitTests(SmallQuotaFixture api) : IClassFixture<SmallQuotaFixture>
{
    [Fact]
    public async Task Requests_beyond_a_keys_quota_get_429_with_Retry_After()
    {
        using var portal = api.Portal();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async _ =>
        {
            using var response = await portal.GetAsync("/api/v1/vaccines");
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta);
        }));
        Assert.Contains(statuses, s => s.StatusCode == HttpStatusCode.OK);
        var limited = statuses.Where(s => s.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
        // 30 tokens at most, plus whatever refilled while the burst ran.
        Assert.InRange(limited.Length, 1, 30);
        Assert.All(limited, s => Assert.Equal(TimeSpan.FromSeconds(1), s.RetryAfter));
    }

    [Fact]
    public async Task Failed_authentications_share_a_small_quota_per_address()
    {
        using var guesser = api.WithKey("not-a-key");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await guesser.GetAsync("/api/v1/vaccines");
            return response.StatusCode;
        }));
        Assert.Contains(HttpStatusCode.Unauthorized, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.DoesNotContain(statuses, s => s is not (HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests));
    }
}

/// <summary>Whatever a caller sends, the answer is a 4xx problem, never a 500.</summary>
public sealed class MalformedInputTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string> Bodies => new()
    {
        "{",
        "not json",
        "[]",
        "null",
        """{"centreId": 12, "vaccine": ["pfizer"]}""",
        """{"centreId": "x", "vaccine": "pfizer", "firstDose": "2027-02-30T09:00:00+01:00", "citizen": {}}""",
        """{"centreId": "x", "vaccine": "pfizer", "firstDose": "yesterday", "citizen": {"firstName": 1}}""",
        """{"centreId": "x", "vaccine": "pfizer", "firstDose": "2027-03-01T09:00:00+01:00", "citizen": {"firstName": "😀😀", "lastName": "🎉", "birthDate": "1980-01-01", "phone": "+33612345678"}}""",
        """{"centreId": "../../etc", "vaccine": "pfizer", "firstDose": "2027-03-01T09:00:00+01:00", "secondDose": "9999-12-31T23:59:59+14:00", "citizen": {"firstName": "A", "lastName": "B", "birthDate": "0001-01-01", "phone": "+33612345678"}}""",
        """{"centreId": "x", "vaccine": "pfizer", "firstDose": "2027-03-01T09:00:00+99:00", "citizen": null}""",
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Malformed_booking_bodies_get_a_4xx_problem(string body)
    {
        using var portal = api.Portal();
        using var response = await portal.PostAsync("/api/v1/bookings", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Huge_strings_are_refused_field_by_field()
    {
        using var portal = api.Portal();
        var huge = new string('A', 20_000);
        using var response = await portal.PostAsJsonAsync("/api/v1/bookings", new
        {
            centreId = huge, vaccine = "pfizer", firstDose = "2027-03-01T09:00:00+01:00",
            citizen = new { firstName = huge, lastName = "B", birthDate = "1980-01-01", phone = "+33612345678" },
        });
        await Expect.ValidationAsync(response, "centreId", "citizen.firstName");
    }
}

public sealed class UnreadableRequestTests
{
    /// <summary>Development (./run.sh) would otherwise throw unreadable bodies to the exception
    /// handler, which answers 500; the test hosts run as "Testing", where the default is already right.</summary>
    [Fact]
    public void Route_handlers_answer_unreadable_requests_themselves_in_Development_too()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.AddBookingApi();
        using var services = builder.Services.BuildServiceProvider();

        Assert.False(services.GetRequiredService<IOptions<RouteHandlerOptions>>().Value.ThrowOnBadRequest);
    }
}
