using System.Globalization;
using System.Security.Cryptography;
using Booking.Api.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Booking.Api.Tests;

/// <summary>How the API process stops when told to, with its database gone.</summary>
public sealed class StopTests
{
    [Fact]
    public async Task A_host_told_to_stop_ends_within_its_limit_even_with_the_database_gone()
    {
        var server = Environment.GetEnvironmentVariable(ApiFixture.ServerVariable)
            ?? throw new InvalidOperationException($"{ApiFixture.ServerVariable} is not set: run the tests through ./test.sh.");
        var database = ApiFixture.UniqueName("booking_stop_test");
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString;
        var logs = new CapturedLogs();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ApplicationName = typeof(Program).Assembly.GetName().Name });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Booking"] = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString,
            ["Orleans:ClusterId"] = ApiFixture.UniqueName("stop-test"),
            ["Orleans:SiloPort"] = ApiFixture.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ApiFixture.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
            ["Urls"] = "http://127.0.0.1:0",
            ["Booking:SeedDemoData"] = "false",
            ["Booking:IdentitySecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Booking:StopLimit"] = "00:00:03",
        });
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.AddBookingEngine().AddBookingApi();
        var app = builder.Build();
        try
        {
            var running = app.RunWithBoundedStopAsync();
            await Eventually.TrueAsync(() => Task.FromResult(app.Lifetime.ApplicationStarted.IsCancellationRequested),
                TimeSpan.FromSeconds(60), "the host did not start");

            // The database goes away: no new connections, and the open ones are cut.
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var block = new NpgsqlCommand(
                    $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'",
                    connection);
                await block.ExecuteNonQueryAsync();
            }
            app.Lifetime.StopApplication();

            var ended = await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Same(running, ended);
            await running;
            Assert.Contains(logs.Lines, l => l.Contains("did not stop within 00:00:03", StringComparison.Ordinal));
        }
        finally
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
