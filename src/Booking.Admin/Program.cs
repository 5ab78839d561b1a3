using Booking.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

// The managers' console. For now it joins the cluster as an Orleans client and shows a centre's
// set-up; the Blazor pages for deliveries, supply cuts and day lists build on this client.
var builder = WebApplication.CreateBuilder(args);
builder.UseOrleansClient(client =>
{
    client.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringClientOptions> clustering) =>
        clustering.Configure<IConfiguration>((o, c) =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = c.GetConnectionString("Booking")
                ?? throw new InvalidOperationException("ConnectionStrings:Booking is not configured.");
        }));
    // The silo may still be starting (or restarting): keep trying for a while rather than exit.
    var deadline = DateTime.UtcNow.AddMinutes(2);
    client.UseConnectionRetryFilter(async (_, cancellationToken) =>
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return DateTime.UtcNow < deadline;
    });
    client.Services.AddOptions<ClusterOptions>().Configure<IConfiguration>((o, c) =>
    {
        o.ClusterId = c["Orleans:ClusterId"] ?? "booking";
        o.ServiceId = c["Orleans:ServiceId"] ?? "booking";
    });
});

var app = builder.Build();
app.MapGet("/health/live", () => TypedResults.Ok("Healthy"));
app.MapGet("/centres/{centreId}", async (string centreId, IClusterClient cluster) =>
    await cluster.GetGrain<ICentreGrain>(centreId).Describe() is { } centre
        ? Results.Ok(centre)
        : Results.NotFound());
app.Run();
