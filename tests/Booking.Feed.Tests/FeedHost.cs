using Booking.Api.Apis;
using Booking.Api.ReadModel;
using Booking.Grains.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Booking.Feed.Tests;

/// <summary>A read model whose content the test sets; counts reads to show the feed caches.</summary>
public sealed class FakeReadModel : IAvailabilityReadModel
{
    private IReadOnlyCollection<CentreAvailability> _centres = [];

    public long Version { get; private set; } = 1;

    public int Reads { get; private set; }

    public IReadOnlyCollection<CentreAvailability> Centres
    {
        get
        {
            Reads++;
            return _centres;
        }
    }

    public CentresByPlace Places { get; private set; } = CentresByPlace.Empty;

    public void Set(params CentreAvailability[] centres)
    {
        _centres = centres;
        Places = new CentresByPlace(centres);
        Version++;
    }
}

public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now.ToUniversalTime();
}

/// <summary>Only the feed's endpoints on an in-memory server: no silo, no database.</summary>
public sealed class FeedHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FeedHost(WebApplication app, FakeReadModel model, FixedTime time)
    {
        _app = app;
        Model = model;
        Time = time;
        Client = app.GetTestClient();
    }

    public FakeReadModel Model { get; }

    public FixedTime Time { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<FeedHost> StartAsync(DateTimeOffset now, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>
        {
            ["Booking:Feed:MinRebuildSeconds"] = "0",
        });
        var model = new FakeReadModel();
        var time = new FixedTime(now);
        builder.Services.AddSingleton<IAvailabilityReadModel>(model);
        builder.Services.AddSingleton(VaccineCatalog.Default);
        builder.Services.AddSingleton<TimeProvider>(time);
        var app = builder.Build();
        app.MapFhirFeed();
        await app.StartAsync();
        return new FeedHost(app, model, time);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
