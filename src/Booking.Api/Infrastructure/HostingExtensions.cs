using System.Net;
using System.Threading.RateLimiting;
using Booking.Api.Apis;
using Booking.Api.Privacy;
using Booking.Api.ReadModel;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Npgsql;
using Booking.Api.Security;
using Booking.Grains.Domain;
using Booking.Grains;
using Booking.Grains.Storage;
using OpenTelemetry.Metrics;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Booking.Api.Infrastructure;

public static class HostingExtensions
{
    /// <summary>Storage, the group-commit writer and the Orleans silo, in the order they must start.</summary>
    public static WebApplicationBuilder AddBookingEngine(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Hosted services start in registration order and stop in reverse: migrations run before
        // the silo, and the writer outlives the silo so that decisions in flight still commit.
        services.AddHostedService<DatabaseMigration>();
        services.AddHostedService(sp => new JitSettingCheck(sp.GetRequiredService<ILogger<JitSettingCheck>>()));
        services.AddBookingGrains();

        builder.UseOrleans(silo =>
        {
            silo.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringSiloOptions> clustering) =>
                clustering.Configure<IConfiguration>((o, c) =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = c.BookingConnectionString();
                }));
            silo.Services.AddOptions<ClusterOptions>().Configure<IConfiguration>((o, c) =>
            {
                o.ClusterId = c["Orleans:ClusterId"] ?? "booking";
                o.ServiceId = c["Orleans:ServiceId"] ?? "booking";
            });
            silo.Services.AddOptions<EndpointOptions>().Configure<IConfiguration>((o, c) =>
            {
                // Loopback unless told otherwise: a development silo must not be reachable from the network.
                var address = IPAddress.Parse(c["Orleans:Address"] ?? "127.0.0.1");
                o.AdvertisedIPAddress = address;
                o.SiloPort = c.GetValue("Orleans:SiloPort", 11111);
                o.GatewayPort = c.GetValue("Orleans:GatewayPort", 30000);
                o.SiloListeningEndpoint = new IPEndPoint(address, o.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(address, o.GatewayPort);
            });
        });
        services.AddHostedService<DemoSeed>();
        // After the demo seed, so that a first ./run.sh reads back what it just created.
        services.Configure<WarmUpOptions>(builder.Configuration.GetSection("Booking:WarmUp"));
        services.AddSingleton<WarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<WarmUp>());
        services.Configure<ReadModelOptions>(builder.Configuration.GetSection("Booking:ReadModel"));
        services.AddSingleton<AvailabilityCache>();
        services.AddSingleton<IAvailabilityReadModel>(sp => sp.GetRequiredService<AvailabilityCache>());
        services.AddHostedService(sp => sp.GetRequiredService<AvailabilityCache>());
        return builder;
    }

    /// <summary>HTTP concerns: keys, rate limits, problem details, OpenAPI and the handlers' services.</summary>
    public static WebApplicationBuilder AddBookingApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ApiKeyOptions>(builder.Configuration.GetSection("Booking"));
        services.AddSingleton(VaccineCatalog.Default);
        services.AddSingleton(sp => new IdentityKeys(Convert.FromBase64String(
            sp.GetRequiredService<IConfiguration>()["Booking:IdentitySecret"]
            ?? throw new InvalidOperationException("Booking:IdentitySecret is not configured."))));
        services.AddSingleton<BookingServices>();
        services.AddSingleton<PersonalData>();
        services.AddDataProtection()
            .SetApplicationName("booking")
            .UseCryptographicAlgorithms(new AuthenticatedEncryptorConfiguration
            {
                EncryptionAlgorithm = EncryptionAlgorithm.AES_256_GCM,
                ValidationAlgorithm = ValidationAlgorithm.HMACSHA256,
            });
        services.AddOptions<KeyManagementOptions>()
            .Configure<NpgsqlDataSource>((o, dataSource) => o.XmlRepository = new PostgresKeyRing(dataSource));

        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyDefaults.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyDefaults.PortalPolicy, p => p.RequireClaim(ApiKeyDefaults.ScopeClaim, "portal"))
            .AddPolicy(ApiKeyDefaults.OperatorPolicy, p => p.RequireClaim(ApiKeyDefaults.ScopeClaim, "operator"));

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(ApiKeyDefaults.RateLimitPolicy, http =>
            {
                var permits = http.RequestServices.GetRequiredService<IOptionsMonitor<ApiKeyOptions>>().CurrentValue.PermitsPerSecond;
                return RateLimitPartition.GetTokenBucketLimiter(ApiKeyDefaults.ClientName(http.User), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = permits,
                    TokensPerPeriod = permits,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                });
            });
            // Without a valid key, each client address has a small quota: it slows down key guessing
            // and scraping without touching portals, whose keyed traffic has its own quota.
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (http.User.Identity?.IsAuthenticated == true)
                {
                    return RateLimitPartition.GetNoLimiter("keyed");
                }
                var permits = http.RequestServices.GetRequiredService<IOptionsMonitor<ApiKeyOptions>>().CurrentValue.AnonymousPermitsPerSecond;
                return RateLimitPartition.GetTokenBucketLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = permits,
                    TokensPerPeriod = permits,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await Problems.Create(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests",
                    "This API key sent more requests than its quota allows; retry after the delay.").ExecuteAsync(context.HttpContext);
            };
        });

        services.AddProblemDetails();
        // An unreadable request is the caller's error in every environment: a 400 problem. Left to
        // its default, Development throws it to the exception handler, which answers 500.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        services.AddExceptionHandler<UnavailableHandler>();
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        // What a rehearsal or an operator watches, scraped from /metrics with the operator key: the
        // group-commit writer's batches and queue, requests by route and status, Kestrel's
        // connections, Npgsql's pool and the runtime (collections, thread pool).
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(LedgerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Npgsql", "System.Runtime")
            // Each scrape reads the instruments afresh: scrapers are few, and a cached answer would
            // show a rehearsal's figures up to the cache's age behind.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(
            new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        return builder;
    }
}
