using Booking.Abstractions;
using Npgsql;

namespace Booking.Api.Infrastructure;

/// <summary>Gives an empty development database a few centres with stock, so that the README's
/// curl walk-through works at once. Runs after the silo has started, and only when
/// Booking:SeedDemoData is true and no centre exists yet.</summary>
public sealed class DemoSeed(IConfiguration configuration, NpgsqlDataSource dataSource, IGrainFactory grains, TimeProvider time, ILogger<DemoSeed> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Booking:SeedDemoData"))
        {
            return;
        }
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM centres"))
        {
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                return;
            }
        }
        var weekdays = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday };
        OpeningPeriod[] Hours(string open, string close) =>
            weekdays.Select(d => new OpeningPeriod(d, TimeOnly.Parse(open), TimeOnly.Parse(close))).ToArray();
        var centres = new (string Id, CentreDefinition Definition)[]
        {
            ("paris-15", new CentreDefinition("Centre de vaccination Paris 15", "31 rue Péclet", "75015", "Paris", 48.8417, 2.2995,
                "Europe/Paris", 4, 10, Hours("09:00", "18:00"), [], ["pfizer", "moderna"], 28, false)),
            ("lyon-gerland", new CentreDefinition("Centre de vaccination Lyon Gerland", "353 avenue Jean Jaurès", "69007", "Lyon", 45.7319, 4.8326,
                "Europe/Paris", 6, 10, Hours("08:30", "19:30"), [], ["pfizer", "janssen"], 28, false)),
            ("cayenne", new CentreDefinition("Centre de vaccination de Cayenne", "Avenue des Flamboyants", "97300", "Cayenne", 4.9372, -52.3260,
                "America/Cayenne", 2, 15, Hours("07:30", "13:30"), [], ["moderna"], 28, false)),
        };
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        foreach (var (id, definition) in centres)
        {
            var centre = grains.GetGrain<ICentreGrain>(id);
            var configured = await centre.Configure(definition);
            if (!configured.Succeeded)
            {
                throw new InvalidOperationException($"Demo centre {id} was refused: {configured.Problem!.Detail}");
            }
            foreach (var vaccine in definition.Vaccines)
            {
                // Weekly deliveries for the first-dose horizon and the second-dose window after it.
                for (var week = 0; week < 12; week++)
                {
                    await centre.AddDelivery(new DeliveryInfo("", vaccine, today.AddDays(7 * week), 600, "confirmed"));
                }
            }
        }
        logger.LogInformation("Seeded {Count} demo centres", centres.Length);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
