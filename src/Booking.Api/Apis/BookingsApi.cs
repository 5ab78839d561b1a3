using System.Text.Json;
using Booking.Abstractions;
using Booking.Api.Privacy;
using Booking.Api.Security;
using Booking.Grains;
using Booking.Grains.Centres;
using Booking.Grains.Domain;
using Booking.Grains.Idempotency;
using Booking.Grains.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PhoneNumbers;

namespace Booking.Api.Apis;

public sealed record CitizenRequest(string? FirstName, string? LastName, string? BirthDate, string? Phone, string? Email, string? HealthNumber);

/// <param name="FirstDoseGivenOn">Set when the first dose was given elsewhere: then only the second dose is booked.</param>
public sealed record CreateBookingRequest(string? CentreId, string? Vaccine, string? FirstDose, string? SecondDose, CitizenRequest? Citizen, string? FirstDoseGivenOn = null);

public sealed record RescheduleRequest(string? FirstDose, string? SecondDose);

/// <summary>What every booking handler needs, injected as one parameter.</summary>
public sealed record BookingServices(GrainReferences Grains, LedgerStore Store, IdentityKeys Identity, PersonalData PersonalData, VaccineCatalog Catalog);

public static class BookingsApi
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    public static RouteGroupBuilder MapBookingsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/bookings")
            .RequireAuthorization(ApiKeyDefaults.PortalPolicy)
            .RequireRateLimiting(ApiKeyDefaults.RateLimitPolicy)
            .WithTags("Bookings")
            .WithKeyedProblems();
        group.MapPost("/", CreateAsync).WithName("CreateBooking")
            .WithSummary("Book a first dose and its second dose in one step")
            .WithProblems("Problems: validation, idempotency-key-reused (422); centre-not-found (404); slot-full, no-second-dose, out-of-stock, already-booked (409).", 404, 409, 422);
        group.MapGet("/{reference}", GetAsync).WithName("GetBooking").WithSummary("Look up a booking (needs the birth date)")
            .WithProblems("Problems: booking-not-found (404), for an unknown reference and a wrong birth date alike.", 404);
        group.MapDelete("/{reference}", CancelAsync).WithName("CancelBooking").WithSummary("Cancel both appointments")
            .WithProblems("Problems: booking-not-found (404); not-active (409).", 404, 409);
        group.MapPost("/{reference}/reschedule", RescheduleAsync).WithName("RescheduleBooking")
            .WithSummary("Move the appointments, all or nothing")
            .WithProblems("Problems: validation (422); booking-not-found (404); slot-full, no-second-dose, out-of-stock, already-booked, not-active (409).", 404, 409, 422);
        return group;
    }

    public static async Task<Results<Created<BookingInfo>, ProblemHttpResult>> CreateAsync(
        CreateBookingRequest body,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext http,
        BookingServices s)
    {
        var input = new Input();
        var centreId = input.Text("centreId", body.CentreId, 64);
        var vaccine = CentresApi.ReadVaccine(input, body.Vaccine, s.Catalog);
        DateOnly? givenOn = body.FirstDoseGivenOn is null ? null : input.Date("firstDoseGivenOn", body.FirstDoseGivenOn);
        var first = input.Instant("firstDose", body.FirstDose, required: givenOn is null);
        if (givenOn is not null && body.FirstDose is not null)
        {
            input.Fail("firstDose", "Leave firstDose out when the first dose was given elsewhere (firstDoseGivenOn).");
        }
        var second = input.Instant("secondDose", body.SecondDose, required: false);
        var citizen = ReadCitizen(input, body.Citizen, s);
        if (idempotencyKey is { Length: 0 or > 100 })
        {
            input.Fail("Idempotency-Key", "1 to 100 characters.");
        }
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (!ManageApi.IsCentreId(centreId))
        {
            return Problems.CentreNotFound(centreId);
        }

        Result<BookingInfo> result;
        if (idempotencyKey is null)
        {
            result = await s.Grains.Citizens(citizen.IdentityKey).Book(centreId, new BookPairCommand(vaccine, first, second, citizen, null, givenOn));
        }
        else
        {
            var scope = ApiKeyDefaults.ClientName(http.User);
            // A repeat must carry the same request: compare keyed fingerprints of its canonical JSON.
            var hash = s.Identity.Fingerprint(JsonSerializer.SerializeToUtf8Bytes(body));
            var tag = new IdempotencyTag(scope, idempotencyKey, hash);
            var command = new BookPairCommand(vaccine, first, second, citizen, tag, givenOn);
            var answer = await s.Grains.IdempotencyShard(IdempotencyShardGrain.ShardOf(tag)).Book(centreId, command);
            if (answer.KeyReused)
            {
                return Problems.IdempotencyKeyReused();
            }
            if (answer.Replayed is { } replayed)
            {
                return Created(replayed);
            }
            result = answer.Fresh!;
        }
        return result.Value is { } booking ? Created(booking) : Problems.From(result.Problem!);
    }

    private static Created<BookingInfo> Created(BookingInfo booking) =>
        TypedResults.Created($"/api/v1/bookings/{booking.Reference}", booking);

    public static async Task<Results<Ok<BookingInfo>, ProblemHttpResult>> GetAsync(
        string reference, string? birthDate, BookingServices s)
    {
        if (await Locate(s, reference, birthDate) is not { } found)
        {
            return Problems.BookingNotFound();
        }
        var booking = await s.Grains.Centre(found.CentreId).FindBooking(reference, found.BirthDateCheck);
        return booking is null ? Problems.BookingNotFound() : TypedResults.Ok(booking);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> CancelAsync(
        string reference, string? birthDate, BookingServices s)
    {
        if (await Locate(s, reference, birthDate) is not { } found)
        {
            return Problems.BookingNotFound();
        }
        var result = await s.Grains.Citizens(found.IdentityKey).Cancel(found.IdentityKey, found.CentreId, reference, found.BirthDateCheck);
        return result.Succeeded ? TypedResults.NoContent() : Problems.From(result.Problem!);
    }

    public static async Task<Results<Ok<BookingInfo>, ProblemHttpResult>> RescheduleAsync(
        string reference, string? birthDate, RescheduleRequest body, BookingServices s)
    {
        var input = new Input();
        var first = input.Instant("firstDose", body.FirstDose, required: false);
        var second = input.Instant("secondDose", body.SecondDose, required: false);
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (await Locate(s, reference, birthDate) is not { } found)
        {
            return Problems.BookingNotFound();
        }
        var result = await s.Grains.Citizens(found.IdentityKey).Reschedule(found.IdentityKey, found.CentreId, reference, found.BirthDateCheck, first, second);
        return result.Value is { } booking ? TypedResults.Ok(booking) : Problems.From(result.Problem!);
    }

    private static async Task<(string CentreId, string IdentityKey, string BirthDateCheck)?> Locate(
        BookingServices s, string reference, string? birthDate)
    {
        var input = new Input();
        var date = input.Date("birthDate", birthDate);
        if (!input.IsValid || !BookingReference.IsWellFormed(reference) || await s.Store.FindReferenceAsync(reference) is not { } row)
        {
            return null;
        }
        return (row.CentreId, row.IdentityKey, s.Identity.BirthDateCheck(date));
    }

    internal static CitizenKeys ReadCitizen(Input input, CitizenRequest? citizen, BookingServices s)
    {
        if (citizen is null)
        {
            input.Fail("citizen", "Required.");
            return new CitizenKeys("", "");
        }
        var firstName = input.Text("citizen.firstName", citizen.FirstName, 100);
        var lastName = input.Text("citizen.lastName", citizen.LastName, 100);
        var birthDate = input.Date("citizen.birthDate", citizen.BirthDate);
        if (input.IsValid && (birthDate.Year < 1900 || birthDate > DateOnly.FromDateTime(DateTime.UtcNow)))
        {
            input.Fail("citizen.birthDate", "Not a plausible birth date.");
        }
        if (firstName.Length > 0 && IdentityKeys.Normalise(firstName).Length == 0)
        {
            input.Fail("citizen.firstName", "Must contain letters.");
        }
        if (lastName.Length > 0 && IdentityKeys.Normalise(lastName).Length == 0)
        {
            input.Fail("citizen.lastName", "Must contain letters.");
        }
        var phone = input.Text("citizen.phone", citizen.Phone, 32);
        var mobile = phone.Length > 0 ? Mobile(phone) : null;
        if (phone.Length > 0 && mobile is null)
        {
            input.Fail("citizen.phone", "Not a valid mobile number.");
        }
        if (citizen.Email is { } email && (email.Length > 254 || !email.Contains('@', StringComparison.Ordinal)))
        {
            input.Fail("citizen.email", "Not a valid e-mail address.");
        }
        var healthNumber = input.Text("citizen.healthNumber", citizen.HealthNumber, 32, required: false);
        return input.IsValid
            ? Keys(s, firstName, lastName, birthDate, mobile!, citizen.Email?.Trim(), healthNumber)
            : new CitizenKeys("", "");
    }

    /// <summary>What the engine is given of a citizen whose details were checked: the identity key
    /// (from the health number when there is one), the birth-date check, the protected contact and
    /// the initials.</summary>
    public static CitizenKeys Keys(
        BookingServices s, string firstName, string lastName, DateOnly birthDate, string mobile, string? email, string healthNumber = "")
    {
        var identityKey = healthNumber.Length > 0
            ? s.Identity.ForHealthNumber(healthNumber)
            : s.Identity.ForPerson(lastName, firstName, birthDate);
        var contact = s.PersonalData.Protect(new CitizenContact(firstName, lastName, birthDate, mobile, email));
        return new CitizenKeys(identityKey, s.Identity.BirthDateCheck(birthDate), contact, PersonalData.Initials(firstName, lastName));
    }

    /// <summary>The number in E.164 if it is a valid mobile number (French numbers may omit the +33).</summary>
    private static string? Mobile(string phone)
    {
        try
        {
            var number = Phones.Parse(phone, "FR");
            // A number gets a type other than UNKNOWN only if it is valid for its region, so the
            // type alone decides (asking IsValidNumber first matched the same patterns twice).
            return Phones.GetNumberType(number) is PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE
                ? Phones.Format(number, PhoneNumberFormat.E164)
                : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }
}
