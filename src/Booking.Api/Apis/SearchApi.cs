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
    private const double EarthRadiusKm = 6371.0;

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
        if (lat is null or < -90 or > 90)
        {
            input.Fail("lat", "Required, from -90 to 90.");
        }
        if (lon is null or < -180 or > 180)
        {
            input.Fail("lon", "Required, from -180 to 180.");
        }
        var radius = radiusKm ?? 50;
        if (radius is <= 0 or > 1000)
        {
            input.Fail("radiusKm", "Greater than 0, at most 1000.");
        }
        var count = limit ?? 50;
        if (count is < 1 or > 500)
        {
            input.Fail("limit", "From 1 to 500.");
        }
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

        var results = model.Centres
            .Where(c => vaccineId is null || c.Centre.Vaccines.Contains(vaccineId))
            .Select(c => (Centre: c, Distance: Distance(lat!.Value, lon!.Value, c.Centre.Latitude, c.Centre.Longitude)))
            .Where(x => x.Distance <= radius)
            .OrderBy(x => x.Distance)
            .Take(count)
            .Select(x => Summarise(x.Centre, x.Distance, vaccineId, now))
            .ToArray();
        return TypedResults.Ok(results);
    }

    private static CentreSearchResult Summarise(CentreAvailability c, double distance, string? vaccineId, DateTimeOffset now)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(c.Centre.TimeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var days = c.ByVaccine
            .Where(v => vaccineId is null || v.Key == vaccineId)
            .SelectMany(v => v.Value)
            .Where(d => d.Date >= today && d.LastEnd > now)
            .ToArray();
        var next = days.Where(d => d.FirstStart > now).Select(d => (DateTimeOffset?)d.FirstStart).Min();
        var free = days.Where(d => d.Date < today.AddDays(7)).Sum(d => d.Slots);
        var l = c.Centre;
        return new CentreSearchResult(l.Id, l.Name, l.Postcode, l.City, l.Latitude, l.Longitude, Math.Round(distance, 2), l.Vaccines, next, free);
    }

    /// <summary>Great-circle distance (haversine).</summary>
    private static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(lat2 - lat1);
        var dLon = Radians(lon2 - lon1);
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + Math.Cos(Radians(lat1)) * Math.Cos(Radians(lat2)) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Sqrt(a));
    }
}
