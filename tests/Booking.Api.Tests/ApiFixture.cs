using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Booking.Api.Tests;

/// <summary>
/// One Booking.Api host (HTTP pipeline + Orleans silo) on its own freshly created database, with its
/// own ClusterId and free silo/gateway ports. The API migrates the database itself at start-up
/// (DbUp creates it if missing), so a unique <c>Database=</c> is all a fixture needs.
/// The PostgreSQL server comes from <c>BOOKING_TEST_PG</c> (set by ./test.sh); without it the
/// fixture fails rather than skipping, so that a misconfigured run cannot look green.
/// </summary>
public class ApiFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ServerVariable = "BOOKING_TEST_PG";
    public const string PortalKey = "test-portal-key-3b7d1e";
    public const string OperatorKey = "test-operator-key-95c0aa";
    public const string ApiKeyHeader = "X-Api-Key";

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _dropDatabaseOnDispose;
    private bool _disposed;

    /// <summary>A fresh database, ClusterId and identity secret.</summary>
    public ApiFixture()
        : this(UniqueName("booking_api_test"), UniqueName("api-test"), RandomNumberGenerator.GetBytes(32), dropDatabaseOnDispose: true)
    {
    }

    /// <summary>A fresh database, with some settings of the host replaced.</summary>
    protected ApiFixture(IReadOnlyDictionary<string, string?> overrides)
        : this()
    {
        foreach (var (key, value) in overrides)
        {
            _settings[key] = value;
        }
    }

    private ApiFixture(string database, string clusterId, byte[] identitySecret, bool dropDatabaseOnDispose)
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{ServerVariable} is not set: the API tests need a PostgreSQL server, e.g. " +
                $"{ServerVariable}=\"Host=127.0.0.1;Port=55433;Username=postgres;Password=booking-dev\" (./test.sh sets it).");
        }
        Database = database;
        ClusterId = clusterId;
        IdentitySecret = identitySecret;
        _dropDatabaseOnDispose = dropDatabaseOnDispose;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        AdminConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString;
        SiloPort = FreeTcpPort();
        GatewayPort = FreeTcpPort();
        Db = new TestDatabase(ConnectionString);
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Booking"] = ConnectionString,
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:SiloPort"] = SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Booking:SeedDemoData"] = "false",
            ["Logging:LogLevel:Default"] = "Debug",
            ["Booking:IdentitySecret"] = Convert.ToBase64String(IdentitySecret),
            ["Booking:ApiKeys:0:Name"] = "test-portal",
            ["Booking:ApiKeys:0:Scope"] = "portal",
            ["Booking:ApiKeys:0:Sha256"] = Sha256Hex(PortalKey),
            ["Booking:ApiKeys:1:Name"] = "test-operator",
            ["Booking:ApiKeys:1:Scope"] = "operator",
            ["Booking:ApiKeys:1:Sha256"] = Sha256Hex(OperatorKey),
            // Every test of a class calls from one address: refused keys and the public feed would
            // otherwise share 20 requests a second across tests. RateLimitTests checks the quotas.
            ["Booking:AnonymousPermitsPerSecond"] = "1000",
            // Every read sees every change, so that a test can check a listing right after a booking;
            // ListingLagTests checks the lag itself.
            ["Booking:Centres:ListingLag"] = "00:00:00",
        };
    }

    public string Database { get; }

    public string ClusterId { get; }

    public byte[] IdentitySecret { get; }

    public string ConnectionString { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>Direct reads of the tables the engine writes (Dapper).</summary>
    public TestDatabase Db { get; }

    private string AdminConnectionString { get; }

    /// <summary>
    /// A new host on the same database as this one, with the same ClusterId and identity secret but
    /// new silo ports: what a restart of the deployment looks like. The secret must be the same, or
    /// identity and birth-date hashes would no longer match. Disposing the copy drops the database.
    /// </summary>
    public ApiFixture RestartedCopy() => new(Database, ClusterId, IdentitySecret, dropDatabaseOnDispose: true);

    /// <summary>
    /// A second host on this one's database and ClusterId, started while this one runs: the two silos
    /// form one cluster. It leaves the database to this fixture, which drops it; dispose it first.
    /// </summary>
    public ApiFixture SecondSilo() => new(Database, ClusterId, IdentitySecret, dropDatabaseOnDispose: false);

    /// <summary>This host leaves its database in place when disposed (for a restart on it).</summary>
    public static ApiFixture KeepingDatabase() =>
        new(UniqueName("booking_api_test"), UniqueName("api-test"), RandomNumberGenerator.GetBytes(32), dropDatabaseOnDispose: false);

    public async Task InitializeAsync()
    {
        // Starts the host (migrations, ledger writer, silo), then waits until it reports ready.
        using var client = CreateClient();
        await Eventually.TrueAsync(async () =>
        {
            using var response = await client.GetAsync("/health/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), "the API did not become ready");
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await base.DisposeAsync();
        if (_dropDatabaseOnDispose)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>What the host logged, whatever the configured log levels.</summary>
    public CapturedLogs Logs { get; } = new();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // Not "Development": appsettings.Development.json (dev keys, demo seed) must not load.
        builder.UseEnvironment("Testing");
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(_settings));
        // Logs go to memory only, at the levels the app's own configuration sets (Debug by default).
        builder.ConfigureLogging(l => l.ClearProviders().AddProvider(Logs));
        return base.CreateHost(builder);
    }

    public HttpClient Portal() => WithKey(PortalKey);

    public HttpClient Operator() => WithKey(OperatorKey);

    public HttpClient WithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyHeader, key);
        }
        return client;
    }

    /// <summary>Activations on this host's silo, by grain class name (e.g. "CentreGrain").</summary>
    public async Task<IReadOnlyDictionary<string, int>> ActivationsAsync()
    {
        var statistics = await Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.GroupBy(s => s.GrainType.Split(',')[0].Split('.')[^1]).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
    }

    /// <summary>Creates a centre under a new id (unique per call) and records the deliveries, all
    /// through the operator API; fails the test if either is refused.</summary>
    public async Task<string> CreateCentreAsync(CentreSpec spec, params DeliverySpec[] deliveries)
    {
        var id = TestData.NewCentreId(spec.IdPrefix);
        using var client = Operator();
        using (var put = await client.PutAsJsonAsync($"/api/v1/manage/centres/{id}", spec.ToBody()))
        {
            await Expect.StatusAsync(put, HttpStatusCode.Created);
        }
        foreach (var delivery in deliveries)
        {
            using var post = await client.PostAsJsonAsync($"/api/v1/manage/centres/{id}/deliveries", delivery.ToBody());
            await Expect.StatusAsync(post, HttpStatusCode.Created);
        }
        return id;
    }

    public static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 63)];

    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
