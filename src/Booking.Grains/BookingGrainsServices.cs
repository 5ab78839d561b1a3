using Booking.Grains.Centres;
using Booking.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Booking.Grains;

public static class BookingGrainsServices
{
    /// <summary>
    /// What the grains need in a silo: the clock, the database, the ledger reads and the silo's
    /// single group-commit writer. Register it before the silo, so that the writer (a hosted
    /// service) stops after the silo and still commits the decisions in flight.
    /// </summary>
    public static IServiceCollection AddBookingGrains(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => NpgsqlDataSource.Create(sp.GetRequiredService<IConfiguration>().BookingConnectionString()));
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<GrainReferences>();
        services.AddOptions<CentreOptions>().BindConfiguration("Booking:Centres");
        services.AddSingleton<LedgerWriter>();
        services.TryAddSingleton<ILedgerWriter>(sp => sp.GetRequiredService<LedgerWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<LedgerWriter>());
        return services;
    }

    public static string BookingConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString("Booking")
        ?? throw new InvalidOperationException("ConnectionStrings:Booking is not configured.");
}
