using Booking.Grains;
using Booking.Migrations;
using DbUp.Engine.Output;

namespace Booking.Api.Infrastructure;

/// <summary>Applies the migrations before the silo starts (it is registered first), since
/// Orleans' clustering tables and queries come from them.</summary>
public sealed class DatabaseMigration(IConfiguration configuration, ILogger<DatabaseMigration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        DatabaseMigrator.MigrateAsync(configuration.BookingConnectionString(), new UpgradeLog(logger), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace(format, args);

        public void LogDebug(string format, params object[] args) => logger.LogDebug(format, args);

        public void LogInformation(string format, params object[] args) => logger.LogInformation(format, args);

        public void LogWarning(string format, params object[] args) => logger.LogWarning(format, args);

        public void LogError(string format, params object[] args) => logger.LogError(format, args);

        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, format, args);
    }
}
