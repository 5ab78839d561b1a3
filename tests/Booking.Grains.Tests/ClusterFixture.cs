using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Booking.Grains;
using Booking.Grains.Storage;
using Booking.Migrations;
using DbUp.Engine.Output;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Booking.Grains.Tests;

/// <summary>
/// A cluster of silos that find each other through ADO.NET clustering on a fresh, migrated
/// PostgreSQL database (from BOOKING_TEST_PG, which ./test.sh provides). The ledger writer of
/// every silo goes through <see cref="FaultyLedgerWriter"/>, which tests can make fail.
/// </summary>
public abstract class ClusterFixture(short silos) : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();

    /// <summary>A meter factory apart from the silos', for writers a test makes itself.</summary>
    public IMeterFactory Meters => _meters.GetRequiredService<IMeterFactory>();

    /// <summary>How many facts a centre records between two snapshots, in these clusters.</summary>
    public const int SnapshotEvery = 5;

    public async Task InitializeAsync()
    {
        var server = Environment.GetEnvironmentVariable("BOOKING_TEST_PG")
            ?? throw new InvalidOperationException("BOOKING_TEST_PG is not set: run the tests through ./test.sh.");
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = "grains_" + Guid.NewGuid().ToString("N")[..12] }.ConnectionString;
        await DatabaseMigrator.MigrateAsync(ConnectionString, new NoOpUpgradeLog());

        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Booking"] = ConnectionString,
            // Often enough that every test's centres also go through snapshots when they reactivate.
            ["Booking:Centres:SnapshotEvery"] = SnapshotEvery.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await _meters.DisposeAsync();
    }

    public NpgsqlConnection OpenDatabase()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    private static void UsePostgresClustering<T>(OptionsBuilder<T> options, Action<T, string> set) where T : class =>
        options.Configure<IConfiguration>((o, c) => set(o, c.BookingConnectionString()));

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringSiloOptions> o) =>
                UsePostgresClustering(o, (options, cs) => { options.Invariant = "Npgsql"; options.ConnectionString = cs; }));
            silo.Services.AddSingleton<FaultyLedgerWriter>();
            silo.Services.AddSingleton<ILedgerWriter>(sp => sp.GetRequiredService<FaultyLedgerWriter>());
            silo.Services.AddBookingGrains();
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client) =>
            client.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringClientOptions> o) =>
                UsePostgresClustering(o, (options, cs) => { options.Invariant = "Npgsql"; options.ConnectionString = cs; }));
    }
}

/// <summary>Passes appends to the silo's real writer, except for a centre a test has told to fail.</summary>
public sealed class FaultyLedgerWriter(LedgerWriter inner) : ILedgerWriter
{
    private static readonly ConcurrentDictionary<string, int> FailuresLeft = new(StringComparer.Ordinal);

    /// <summary>The next <paramref name="count"/> appends of this centre, in any silo of this process, fail as a failed batch would.</summary>
    public static void FailNext(string centreId, int count) => FailuresLeft[centreId] = count;

    public Task AppendAsync(LedgerAppend append)
    {
        var centreId = append.Ledger?.CentreId ?? "";
        if (FailuresLeft.TryGetValue(centreId, out var left) && left > 0)
        {
            FailuresLeft[centreId] = left - 1;
            return Task.FromException(new LedgerCommitFailedException("Injected: the batch did not commit."));
        }
        return inner.AppendAsync(append);
    }
}
