using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Booking.Abstractions;
using Booking.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Booking.Api.Tests;

/// <summary>Health endpoints, and the X-Api-Key rules: missing or unknown key 401, wrong scope 403.</summary>
public sealed class HealthAndAuthTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Live_and_ready_answer_200()
    {
        using var client = api.CreateClient();
        using var live = await client.GetAsync("/health/live");
        await Expect.StatusAsync(live, HttpStatusCode.OK);
        using var ready = await client.GetAsync("/health/ready");
        await Expect.StatusAsync(ready, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Ready_waits_until_the_centres_and_shards_are_read_back()
    {
        var services = api.Services;
        using var warmUp = ActivatorUtilities.CreateInstance<WarmUp>(services);
        var check = ActivatorUtilities.CreateInstance<ReadinessCheck>(services, warmUp);
        var context = new HealthCheckContext();

        var before = await check.CheckHealthAsync(context);
        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        var after = await check.CheckHealthAsync(context);

        Assert.Equal((HealthStatus.Unhealthy, "Reading centres and shards back: 0 of 0."), (before.Status, before.Description));
        Assert.Equal(HealthStatus.Healthy, after.Status);
        var all = 2 * Shards.Count + await api.Db.CountCentresAsync();
        Assert.Equal((all, all), warmUp.Progress);
    }

    [Fact]
    public async Task Past_its_limit_ready_no_longer_waits_for_the_warm_up()
    {
        var services = api.Services;
        using var warmUp = ActivatorUtilities.CreateInstance<WarmUp>(services, Options.Create(new WarmUpOptions { Limit = TimeSpan.Zero }));
        var check = ActivatorUtilities.CreateInstance<ReadinessCheck>(services, warmUp);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal((false, HealthStatus.Healthy), (warmUp.Done, result.Status));
    }

    [Fact]
    public async Task A_centre_that_cannot_be_read_back_is_logged_and_does_not_keep_the_silo_from_being_ready()
    {
        var damaged = TestData.NewCentreId("damaged");
        await api.Db.AddUnreadableCentreAsync(damaged);
        var services = api.Services;
        using var warmUp = ActivatorUtilities.CreateInstance<WarmUp>(services);
        var check = ActivatorUtilities.CreateInstance<ReadinessCheck>(services, warmUp);

        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Single(api.Logs.Lines, l => l.StartsWith($"Warning {typeof(WarmUp).FullName}: Could not read back centre {damaged} at start;", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_runs_on_the_fixture_configuration()
    {
        var configuration = api.Services.GetRequiredService<IConfiguration>();
        Assert.Equal(api.ClusterId, configuration["Orleans:ClusterId"]);
        Assert.Equal(api.ConnectionString, configuration.GetConnectionString("Booking"));
        Assert.Equal("false", configuration["Booking:SeedDemoData"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-key")]
    [InlineData("dev-portal-key")]
    public async Task Missing_or_unknown_key_gets_401_on_every_scope(string? key)
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(), DeliverySpec.Today(10));
        using var client = api.WithKey(key);
        var day = TestData.Today.AddDays(7);

        using var book = await client.BookAsync(BookingBody.For(centreId, TestData.At(day, 9)));
        await Expect.ProblemAsync(book, HttpStatusCode.Unauthorized, "unauthorized");
        using var slots = await client.SlotsResponseAsync(centreId, day, day);
        await Expect.ProblemAsync(slots, HttpStatusCode.Unauthorized, "unauthorized");
        using var get = await client.GetBookingAsync("ABCDEFGHJK", "1984-06-15");
        await Expect.ProblemAsync(get, HttpStatusCode.Unauthorized, "unauthorized");
        using var put = await client.PutAsJsonAsync($"/api/v1/manage/centres/{centreId}", new CentreSpec().ToBody());
        await Expect.ProblemAsync(put, HttpStatusCode.Unauthorized, "unauthorized");
        using var delivery = await client.PostAsJsonAsync($"/api/v1/manage/centres/{centreId}/deliveries", DeliverySpec.Today(5).ToBody());
        await Expect.ProblemAsync(delivery, HttpStatusCode.Unauthorized, "unauthorized");

        // Nothing was written by the refused calls: configured once, one delivery.
        var ledger = await api.Db.LedgerAsync(centreId);
        Assert.Equal(["centre-configured", "delivery-recorded"], ledger.Select(r => r.Kind));
    }

    [Fact]
    public async Task A_key_of_thousands_of_characters_gets_401()
    {
        using var client = api.WithKey(new string('k', 4000));

        using var vaccines = await client.GetAsync("/api/v1/vaccines");

        await Expect.ProblemAsync(vaccines, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Operator_key_on_portal_endpoints_gets_403()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(), DeliverySpec.Today(10));
        using var client = api.Operator();
        var day = TestData.Today.AddDays(7);

        using var book = await client.BookAsync(BookingBody.For(centreId, TestData.At(day, 9)));
        await Expect.ProblemAsync(book, HttpStatusCode.Forbidden, "forbidden");
        using var slots = await client.SlotsResponseAsync(centreId, day, day);
        await Expect.ProblemAsync(slots, HttpStatusCode.Forbidden, "forbidden");
        using var vaccines = await client.GetAsync("/api/v1/vaccines");
        await Expect.ProblemAsync(vaccines, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Fact]
    public async Task Portal_key_on_operator_endpoints_gets_403()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec());
        using var client = api.Portal();

        using var put = await client.PutAsJsonAsync($"/api/v1/manage/centres/{centreId}", new CentreSpec(Lines: 9).ToBody());
        await Expect.ProblemAsync(put, HttpStatusCode.Forbidden, "forbidden");
        using var delivery = await client.PostAsJsonAsync($"/api/v1/manage/centres/{centreId}/deliveries", DeliverySpec.Today(5).ToBody());
        await Expect.ProblemAsync(delivery, HttpStatusCode.Forbidden, "forbidden");
        var ledger = await api.Db.LedgerAsync(centreId);
        Assert.Equal(["centre-configured"], ledger.Select(r => r.Kind));
    }

    [Fact]
    public async Task Right_keys_reach_their_endpoints()
    {
        using var portal = api.Portal();
        using var vaccines = await portal.GetAsync("/api/v1/vaccines");
        await Expect.StatusAsync(vaccines, HttpStatusCode.OK);

        using var op = api.Operator();
        var id = TestData.NewCentreId("auth");
        using var created = await op.PutAsJsonAsync($"/api/v1/manage/centres/{id}", new CentreSpec().ToBody());
        await Expect.StatusAsync(created, HttpStatusCode.Created);
        using var replaced = await op.PutAsJsonAsync($"/api/v1/manage/centres/{id}", new CentreSpec(Lines: 3).ToBody());
        await Expect.StatusAsync(replaced, HttpStatusCode.OK);
    }
}
