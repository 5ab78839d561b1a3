using System.Globalization;
using Booking.Api.Fhir;
using Booking.Api.ReadModel;
using Booking.Grains.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Booking.Api.Apis;

public sealed record BulkPublishOutput(string Type, string Url);

public sealed record BulkPublishManifest(
    DateTimeOffset TransactionTime, string Request, IReadOnlyList<BulkPublishOutput> Output, IReadOnlyList<BulkPublishOutput> Error);

/// <summary>
/// The public SMART Scheduling Links feed: a bulk-publish manifest and its Location, Schedule and
/// Slot NDJSON files, built from this silo's read model and kept until the model changes.
/// No key: aggregators must be able to read it.
/// </summary>
public static class FhirFeed
{
    public const string NdjsonContentType = "application/fhir+ndjson";
    public const string ManifestPath = "/fhir/$bulk-publish";
    public const string LocationsPath = "/fhir/locations.ndjson";
    public const string SchedulesPath = "/fhir/schedules.ndjson";
    public const string SlotsPath = "/fhir/slots.ndjson";

    public static RouteGroupBuilder MapFhirFeed(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var options = FhirFeedOptions.From(services.GetRequiredService<IConfiguration>());
        var cache = new FeedCache(options, services.GetService<VaccineCatalog>() ?? VaccineCatalog.Default);

        var group = app.MapGroup("").AllowAnonymous().WithTags("Public feed");
        group.MapGet(ManifestPath, (HttpContext http, IAvailabilityReadModel model) => ManifestAsync(http, model, cache, options))
            .WithName("FhirBulkPublish")
            .WithSummary("SMART Scheduling Links manifest: where the Location, Schedule and Slot files are");
        group.MapGet(LocationsPath, (HttpContext http, IAvailabilityReadModel model) => FileAsync(http, model, cache, options, s => s.Locations))
            .WithName("FhirLocations")
            .WithSummary("FHIR Location resources, one per centre (NDJSON)")
            .Produces(StatusCodes.Status200OK, contentType: NdjsonContentType)
            .Produces(StatusCodes.Status304NotModified);
        group.MapGet(SchedulesPath, (HttpContext http, IAvailabilityReadModel model) => FileAsync(http, model, cache, options, s => s.Schedules))
            .WithName("FhirSchedules")
            .WithSummary("FHIR Schedule resources, one per centre and vaccine (NDJSON)")
            .Produces(StatusCodes.Status200OK, contentType: NdjsonContentType)
            .Produces(StatusCodes.Status304NotModified);
        group.MapGet(SlotsPath, (HttpContext http, IAvailabilityReadModel model) => FileAsync(http, model, cache, options, s => s.Slots))
            .WithName("FhirSlots")
            .WithSummary("FHIR Slot resources, one per centre, vaccine and day with first-dose seats and a booking link (NDJSON)")
            .Produces(StatusCodes.Status200OK, contentType: NdjsonContentType)
            .Produces(StatusCodes.Status304NotModified);
        return group;
    }

    private static async Task<Ok<BulkPublishManifest>> ManifestAsync(
        HttpContext http, IAvailabilityReadModel model, FeedCache cache, FhirFeedOptions options)
    {
        // The build time is when the files' data was read; building here keeps the two consistent.
        var snapshot = await cache.GetAsync(model, Time(http), http.RequestAborted);
        var root = BaseUrl(http.Request, options);
        http.Response.Headers.CacheControl = CacheControl(options);
        return TypedResults.Ok(new BulkPublishManifest(
            snapshot.BuiltAt.ToUniversalTime(),
            root + ManifestPath,
            [
                new("Location", root + LocationsPath),
                new("Schedule", root + SchedulesPath),
                new("Slot", root + SlotsPath),
            ],
            []));
    }

    private static async Task<IResult> FileAsync(
        HttpContext http, IAvailabilityReadModel model, FeedCache cache, FhirFeedOptions options, Func<FeedSnapshot, FeedFile> pick)
    {
        var file = pick(await cache.GetAsync(model, Time(http), http.RequestAborted));
        var gzip = AcceptsGzip(http.Request);
        var headers = http.Response.Headers;
        headers.CacheControl = CacheControl(options);
        headers.Vary = HeaderNames.AcceptEncoding;
        headers.ETag = gzip ? file.GzipETag : file.ETag;
        if (EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var tags)
            && tags.FirstOrDefault(t => t.Equals(EntityTagHeaderValue.Any) || Matches(t, file.ETag) || Matches(t, file.GzipETag)) is { } matched)
        {
            if (!matched.Equals(EntityTagHeaderValue.Any))
            {
                headers.ETag = matched.Tag.ToString();
            }
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        if (gzip)
        {
            headers.ContentEncoding = "gzip";
            return Results.Bytes(file.Gzip, NdjsonContentType);
        }
        return Results.Bytes(file.Content, NdjsonContentType);
    }

    private static bool Matches(EntityTagHeaderValue tag, string etag) => tag.Compare(new EntityTagHeaderValue(etag), useStrongComparison: false);

    private static bool AcceptsGzip(HttpRequest request) =>
        StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var codings)
        && codings.Any(c => c.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (c.Quality ?? 1) > 0);

    private static string CacheControl(FhirFeedOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"public, max-age={options.MaxAgeSeconds}");

    /// <summary>A configured public URL wins: behind a proxy the request's own host may be an internal one.</summary>
    private static string BaseUrl(HttpRequest request, FhirFeedOptions options) =>
        options.PublicBaseUrl is { } configured
            ? configured.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";

    private static TimeProvider Time(HttpContext http) => http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
}
