using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Orleans.Runtime;

namespace Booking.Api.Infrastructure;

/// <summary>Ready means: the database answers, this silo is an active member of the cluster, and
/// it has read back the centres and shards (<see cref="WarmUp"/>), or has waited for that as long
/// as <see cref="WarmUpOptions.Limit"/> allows.</summary>
public sealed class ReadinessCheck(NpgsqlDataSource dataSource, ISiloStatusOracle silo, WarmUp warmUp) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (silo.CurrentStatus != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"Silo is {silo.CurrentStatus}.");
        }
        if (!warmUp.ReadinessMayGoOn)
        {
            var (read, total) = warmUp.Progress;
            return HealthCheckResult.Unhealthy($"Reading centres and shards back: {read} of {total}.");
        }
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (NpgsqlException ex)
        {
            return HealthCheckResult.Unhealthy("Database unreachable.", ex);
        }
    }
}
