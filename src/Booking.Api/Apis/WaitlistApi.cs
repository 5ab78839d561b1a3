using Booking.Abstractions;
using Booking.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Booking.Api.Apis;

public sealed record WaitlistRequest(string? Vaccine, CitizenRequest? Citizen);

/// <summary>A centre's waitlist: join it, see one's place and offer, accept an offer before it expires.</summary>
public static class WaitlistApi
{
    public static RouteGroupBuilder MapWaitlistApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/centres/{centreId}/waitlist")
            .RequireAuthorization(ApiKeyDefaults.PortalPolicy)
            .RequireRateLimiting(ApiKeyDefaults.RateLimitPolicy)
            .WithTags("Waitlist")
            .WithKeyedProblems();
        group.MapPost("/", JoinAsync).WithName("JoinWaitlist").WithSummary("Wait for a place at a full centre")
            .WithProblems("Problems: validation (422); centre-not-found (404); already-booked (409).", 404, 409, 422);
        group.MapGet("/{entryId}", GetAsync).WithName("GetWaitlistEntry").WithSummary("A place on the waitlist and its offer (needs the birth date)");
        group.MapPost("/{entryId}/accept", AcceptAsync).WithName("AcceptWaitlistOffer").WithSummary("Accept the offer held for this place")
            .WithProblems("Problems: waitlist-entry-not-found (404), also for an expired offer; already-booked (409).", 404, 409);
        return group;
    }

    public static async Task<Results<Created<WaitlistInfo>, ProblemHttpResult>> JoinAsync(string centreId, WaitlistRequest body, BookingServices s)
    {
        var input = new Input();
        var vaccine = CentresApi.ReadVaccine(input, body.Vaccine, s.Catalog);
        var citizen = BookingsApi.ReadCitizen(input, body.Citizen, s);
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (await ManageApi.ExistingCentre(centreId, s.Grains) is not { } centre)
        {
            return Problems.CentreNotFound(centreId);
        }
        var result = await centre.JoinWaitlist(vaccine, citizen);
        return result.Value is { } entry
            ? TypedResults.Created($"/api/v1/centres/{centreId}/waitlist/{entry.EntryId}", entry)
            : Problems.From(result.Problem!);
    }

    public static async Task<Results<Ok<WaitlistInfo>, ProblemHttpResult>> GetAsync(string centreId, string entryId, string? birthDate, BookingServices s)
    {
        if (await Entry(centreId, birthDate, s) is not { } found)
        {
            return Problems.From(new Problem(ProblemKind.WaitlistEntryNotFound, "No such waitlist entry."));
        }
        return await found.Centre.FindWaitlistEntry(entryId, found.Check) is { } entry
            ? TypedResults.Ok(entry)
            : Problems.From(new Problem(ProblemKind.WaitlistEntryNotFound, "No such waitlist entry."));
    }

    public static async Task<Results<Created<BookingInfo>, ProblemHttpResult>> AcceptAsync(string centreId, string entryId, string? birthDate, BookingServices s)
    {
        if (await Entry(centreId, birthDate, s) is not { } found || await found.Centre.OfferHolder(entryId, found.Check) is not { } identity)
        {
            return Problems.From(new Problem(ProblemKind.WaitlistEntryNotFound, "No open offer for this waitlist entry."));
        }
        var result = await s.Grains.Citizens(identity).AcceptOffer(identity, centreId, entryId, found.Check);
        return result.Value is { } booking
            ? TypedResults.Created($"/api/v1/bookings/{booking.Reference}", booking)
            : Problems.From(result.Problem!);
    }

    private static async Task<(ICentreGrain Centre, string Check)?> Entry(string centreId, string? birthDate, BookingServices s)
    {
        var input = new Input();
        var date = input.Date("birthDate", birthDate);
        if (!input.IsValid || await ManageApi.ExistingCentre(centreId, s.Grains) is not { } centre)
        {
            return null;
        }
        return (centre, s.Identity.BirthDateCheck(date));
    }
}
