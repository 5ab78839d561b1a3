using System.Data.Common;
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
        services.AddMetrics();
        services.AddSingleton(sp => NpgsqlDataSource.Create(Tuned(sp.GetRequiredService<IConfiguration>().BookingConnectionString())));
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<GrainReferences>();
        services.AddSingleton<LocalListings>();
        services.AddOptions<CentreOptions>().BindConfiguration("Booking:Centres");
        services.AddSingleton<LedgerWriter>();
        services.TryAddSingleton<ILedgerWriter>(sp => sp.GetRequiredService<LedgerWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<LedgerWriter>());
        return services;
    }

    /// <summary>
    /// Every statement of the engine is a single autocommit statement over a handful of shapes (the
    /// writer's batch combinations, the ledger reads), so connections keep their prepared statements
    /// and skip the reset (DISCARD ALL) each time they return to the pool. At 300 bookings/s, with a
    /// booking or two per batch, that took PostgreSQL from 0.44 to 0.28 cores.
    /// A connection string that sets these itself wins.
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(connectionString, "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }
        if (!Sets(connectionString, "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }
        return builder.ConnectionString;
    }

    /// <summary>Whether the connection string sets <paramref name="keyword"/> (written without spaces,
    /// in any case). Npgsql's builder answers true for any keyword it knows; the keys as written tell what is set.</summary>
    public static bool Sets(string connectionString, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals(keyword, StringComparison.OrdinalIgnoreCase));

    public static string BookingConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString("Booking")
        ?? throw new InvalidOperationException("ConnectionStrings:Booking is not configured.");
}
