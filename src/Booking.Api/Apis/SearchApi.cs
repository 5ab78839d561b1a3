using Booking.Api.ReadModel;
using Booking.Api.Security;
using Booking.Grains.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Booking.Api.Apis;

public sealed record CentreSearchResult(
    string Id, string Name, string Postcode, string City, double Latitude, double Longitude, double DistanceKm,
    IReadOnlyList<string> Vaccines, DateTimeOffset? NextFirstDoseSlot, int FreeSlots7Days);

/// <summary>
/// Centres near a point with their next bookable first dose, served from this silo's read model:
/// no grain is called, so a search costs the same whatever the crowd is doing to the centres.
/// </summary>
public static class SearchApi
{
    public static RouteHandlerBuilder MapSearchApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/centres", Search)
            .RequireAuthorization(ApiKeyDefaults.PortalPolicy)
            .RequireRateLimiting(ApiKeyDefaults.RateLimitPolicy)
            .WithTags("Availability")
            .WithName("SearchCentres")
            .WithSummary("Centres by distance, with their next first-dose slot and free slots over 7 days");

    public static Results<Ok<CentreSearchResult[]>, StatusCodeHttpResult, ProblemHttpResult> Search(
        double? lat, double? lon, double? radiusKm, string? vaccine, int? limit,
        HttpContext http, IAvailabilityReadModel model, VaccineCatalog catalog, TimeProvider time)
    {
        var input = new Input();
        var (radius, count) = SearchBounds.Check(lat, lon, radiusKm, limit, input.Fail);
        var vaccineId = vaccine is null ? null : CentresApi.ReadVaccine(input, vaccine, catalog);
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }

        var now = time.GetUtcNow();
        var etag = new EntityTagHeaderValue($"\"{model.Version}-{now:yyyyMMddHHmm}-{(uint)http.Request.QueryString.Value!.GetHashCode(StringComparison.Ordinal):x}\"", isWeak: true);
        http.Response.Headers.ETag = etag.ToString();
        http.Response.Headers.CacheControl = "public, max-age=2";
        if (EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var tags) && tags.Any(t => t.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var found = model.Places.Find(lat!.Value, lon!.Value, radius, vaccineId, count);
        var results = new CentreSearchResult[found.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = Summarise(found[i].Centre, found[i].DistanceKm, vaccineId, now);
        }
        return TypedResults.Ok(results);
    }

    private static CentreSearchResult Summarise(CentreAvailability c, double distance, string? vaccineId, DateTimeOffset now)
    {
        var (next, free) = c.FirstDoseOutlook(vaccineId, now);
        var l = c.Centre;
        return new CentreSearchResult(l.Id, l.Name, l.Postcode, l.City, l.Latitude, l.Longitude, Math.Round(distance, 2), l.Vaccines, next, free);
    }
}
