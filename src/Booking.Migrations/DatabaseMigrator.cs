using DbUp;
using DbUp.Engine.Output;
using Npgsql;

namespace Booking.Migrations;

/// <summary>Creates the database if needed and applies the versioned scripts in db/migrations once each.</summary>
public static class DatabaseMigrator
{
    // Any constant will do: it only has to be the same for every process that migrates.
    private const long MigrationLockId = 0x426f6f6b696e67;

    public static async Task MigrateAsync(string connectionString, IUpgradeLog log, CancellationToken cancellationToken = default)
    {
        EnsureDatabase.For.PostgresqlDatabase(connectionString, log);

        // Silos that start together must not run the same scripts side by side.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockId})", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly)
                .WithTransactionPerScript()
                .LogTo(log)
                .Build();
            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Migration script '{result.ErrorScript?.Name}' failed.", result.Error);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockId})", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
