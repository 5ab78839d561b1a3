using Booking.Abstractions;
using Booking.Api.Security;
using Booking.Grains;
using Booking.Grains.Centres;
using Booking.Grains.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Booking.Api.Apis;

public sealed record VaccineResponse(string Id, string Name, string Cvx, int DosesPerVial, int Injections, int? MinIntervalDays, int? MaxIntervalDays);

public sealed record SecondDoseWindow(DateTimeOffset Earliest, DateTimeOffset Latest);

public sealed record SlotResponse(DateTimeOffset Start, int Remaining, SecondDoseWindow? SecondDose);

public sealed record SecondDoseSlotResponse(DateTimeOffset Start, int Remaining);

public static class CentresApi
{
    /// <summary>The longest range one slots query may ask for.</summary>
    public const int MaxRangeDays = 31;

    public static IEndpointRouteBuilder MapCentresApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyDefaults.PortalPolicy)
            .RequireRateLimiting(ApiKeyDefaults.RateLimitPolicy)
            .WithTags("Availability")
            .WithKeyedProblems();
        group.MapGet("/vaccines", Vaccines).WithName("ListVaccines").WithSummary("The vaccine catalogue");
        group.MapGet("/centres/{centreId}/slots", SlotsAsync).WithName("FirstDoseSlots")
            .Produces<SlotResponse[]>(StatusCodes.Status200OK, "application/json")
            .WithSummary("Bookable first-dose slots; each comes with a guaranteed second dose")
            .WithProblems("Problems: validation (422); centre-not-found (404).", 404, 422);
        group.MapGet("/centres/{centreId}/second-dose-slots", SecondDoseSlotsAsync).WithName("SecondDoseSlots")
            .WithSummary("Second-dose options for a first-dose start")
            .WithProblems("Problems: validation (422); centre-not-found (404).", 404, 422);
        return app;
    }

    public static Ok<VaccineResponse[]> Vaccines(VaccineCatalog catalog) =>
        TypedResults.Ok(catalog.All.Select(v => new VaccineResponse(v.Id, v.Name, v.Cvx, v.DosesPerVial, v.Injections,
            v.NeedsSecondDose ? v.MinIntervalDays : null, v.NeedsSecondDose ? v.MaxIntervalDays : null)).ToArray());

    /// <summary>The centre writes the listing's JSON (<see cref="SlotResponse"/>[]) itself, and keeps it while it is read again
    /// unchanged; a kept listing of a centre active in this silo is served without calling it.</summary>
    public static async Task<Results<SlotListingResult, ProblemHttpResult>> SlotsAsync(
        string centreId, string? vaccine, string? from, string? to, GrainReferences grains, LocalListings kept, VaccineCatalog catalog, TimeProvider time)
    {
        var input = new Input();
        var vaccineId = ReadVaccine(input, vaccine, catalog);
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var first = from is null ? today : input.Date("from", from);
        var last = to is null ? first.AddDays(6) : input.Date("to", to);
        if (input.IsValid && (last < first || last.DayNumber - first.DayNumber >= MaxRangeDays))
        {
            input.Fail("to", $"'to' must be on or after 'from', at most {MaxRangeDays} days in all.");
        }
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        var listing = !ManageApi.IsCentreId(centreId) ? null
            : kept.Find(centreId, vaccineId, first, last, now) ?? await grains.Centre(centreId).FirstDoseSlots(vaccineId, first, last);
        return listing is null ? Problems.CentreNotFound(centreId) : new SlotListingResult(listing);
    }

    public static async Task<Results<Ok<SecondDoseSlotResponse[]>, ProblemHttpResult>> SecondDoseSlotsAsync(
        string centreId, string? vaccine, string? firstDose, GrainReferences grains, VaccineCatalog catalog)
    {
        var input = new Input();
        var vaccineId = ReadVaccine(input, vaccine, catalog);
        var start = input.Instant("firstDose", firstDose);
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (!ManageApi.IsCentreId(centreId) || await grains.Centre(centreId).SecondDoseSlots(vaccineId, start!.Value) is not { } slots)
        {
            return Problems.CentreNotFound(centreId);
        }
        return TypedResults.Ok(slots.Select(s => new SecondDoseSlotResponse(s.Start, s.Remaining)).ToArray());
    }

    internal static string ReadVaccine(Input input, string? vaccine, VaccineCatalog catalog)
    {
        if (vaccine is null || !catalog.TryGet(vaccine, out var known))
        {
            input.Fail("vaccine", $"One of: {string.Join(", ", catalog.All.Select(v => v.Id))}.");
            return "";
        }
        return known.Id;
    }
}
