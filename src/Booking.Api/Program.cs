using Booking.Api.Apis;
using Booking.Api.Infrastructure;
using Booking.Api.Security;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.AddBookingEngine().AddBookingApi();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
app.MapScalarApiReference();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).DisableRateLimiting();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).DisableRateLimiting();
app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(ApiKeyDefaults.OperatorPolicy);
app.MapManageApi();
app.MapSearchApi();
app.MapCentresApi();
app.MapBookingsApi();
app.MapWaitlistApi();
app.MapFhirFeed();

await app.RunWithBoundedStopAsync();
