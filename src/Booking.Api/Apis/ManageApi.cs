using System.Text.RegularExpressions;
using Booking.Abstractions;
using Booking.Api.Security;
using Booking.Grains;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Booking.Api.Apis;

public sealed record OpeningHoursRequest(string? Day, string? Open, string? Close);

public sealed record CentreRequest(
    string? Name, string? Address, string? Postcode, string? City, double? Latitude, double? Longitude,
    string? TimeZone, int? Lines, int? SlotMinutes, IReadOnlyList<OpeningHoursRequest>? OpeningHours,
    IReadOnlyList<string>? ClosedDates, IReadOnlyList<string>? Vaccines, int? BookingHorizonDays, bool? BookForecastDoses);

public sealed record CentreResponse(
    string Id, string Name, string Address, string Postcode, string City, double Latitude, double Longitude,
    string TimeZone, int Lines, int SlotMinutes, IReadOnlyList<OpeningHoursResponse> OpeningHours,
    IReadOnlyList<DateOnly> ClosedDates, IReadOnlyList<string> Vaccines, int BookingHorizonDays, bool BookForecastDoses)
{
    public static CentreResponse From(CentreInfo c)
    {
        var d = c.Definition;
        return new(c.Id, d.Name, d.Address, d.Postcode, d.City, d.Latitude, d.Longitude, d.TimeZone, d.Lines, d.SlotMinutes,
            d.OpeningHours.Select(h => new OpeningHoursResponse(h.Day.ToString(), h.Open.ToString("HH:mm"), h.Close.ToString("HH:mm"))).ToArray(),
            d.ClosedDates, d.Vaccines, d.BookingHorizonDays, d.BookForecastDoses);
    }
}

public sealed record OpeningHoursResponse(string Day, string Open, string Close);

public sealed record DeliveryRequest(string? Vaccine, string? Date, int? Doses, string? Status);

public sealed record DeliveryChangeRequest(string? Date, int? Doses, string? Status, bool? Apply);

public static partial class ManageApi
{
    public static RouteGroupBuilder MapManageApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/centres")
            .RequireAuthorization(ApiKeyDefaults.OperatorPolicy)
            .RequireRateLimiting(ApiKeyDefaults.RateLimitPolicy)
            .WithTags("Centre management")
            .WithKeyedProblems();
        group.MapPut("/{centreId}", PutCentreAsync).WithName("PutCentre").WithSummary("Create or replace a centre")
            .WithProblems("Problems: validation (422), also when booked appointments would lose their slot.", 422);
        group.MapPost("/{centreId}/deliveries", AddDeliveryAsync).WithName("AddDelivery").WithSummary("Record a dose delivery")
            .WithProblems("Problems: validation (422); centre-not-found (404).", 404, 422);
        group.MapGet("/{centreId}/deliveries", ListDeliveriesAsync).WithName("ListDeliveries").WithSummary("A centre's deliveries");
        group.MapPut("/{centreId}/deliveries/{deliveryId}", ChangeDeliveryAsync).WithName("ChangeDelivery")
            .WithSummary("Change a delivery; a shortfall answers 409 with the supply-cut plan unless apply is true")
            .WithProblems("Problems: validation (422); centre-not-found, delivery-not-found (404); supply-shortfall (409, with postpone, kept and delivery members).", 404, 409, 422);
        group.MapGet("/{centreId}/appointments", AppointmentsAsync).WithName("DayAppointments").WithSummary("A day's appointments");
        group.MapGet("/{centreId}/stock", StockAsync).WithName("StockReport").WithSummary("Stock by day for one vaccine");
        return group;
    }

    public static async Task<Results<Ok<CentreResponse>, Created<CentreResponse>, ProblemHttpResult>> PutCentreAsync(
        string centreId, CentreRequest body, GrainReferences grains)
    {
        var input = new Input();
        if (!IsCentreId(centreId))
        {
            input.Fail("centreId", "1 to 64 characters: lower-case letters, digits and hyphens.");
        }
        var definition = ReadDefinition(body, input);
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        var result = await grains.Centre(centreId).Configure(definition);
        if (result.Value is not { } centre)
        {
            return Problems.From(result.Problem!);
        }
        var response = CentreResponse.From(centre);
        return centre.Created
            ? TypedResults.Created($"/api/v1/manage/centres/{centreId}", response)
            : TypedResults.Ok(response);
    }

    public static async Task<Results<Created<DeliveryInfo>, ProblemHttpResult>> AddDeliveryAsync(
        string centreId, DeliveryRequest body, GrainReferences grains)
    {
        var input = new Input();
        var vaccine = input.Text("vaccine", body.Vaccine, 40);
        var date = input.Date("date", body.Date);
        var doses = input.Number("doses", body.Doses, 0, 1_000_000);
        var status = (body.Status ?? "confirmed").ToLowerInvariant();
        if (status is not ("confirmed" or "forecast"))
        {
            input.Fail("status", "Either 'confirmed' or 'forecast'.");
        }
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (!IsCentreId(centreId))
        {
            return Problems.CentreNotFound(centreId);
        }
        var result = await grains.Centre(centreId).AddDelivery(new DeliveryInfo("", vaccine, date, doses, status));
        return result.Value is { } delivery
            ? TypedResults.Created($"/api/v1/manage/centres/{centreId}/deliveries/{delivery.DeliveryId}", delivery)
            : Problems.From(result.Problem!);
    }

    public static async Task<Results<Ok<DeliveryInfo[]>, ProblemHttpResult>> ListDeliveriesAsync(string centreId, GrainReferences grains)
    {
        if (await ExistingCentre(centreId, grains) is not { } centre)
        {
            return Problems.CentreNotFound(centreId);
        }
        return TypedResults.Ok((await centre.Deliveries()).ToArray());
    }

    public static async Task<Results<Ok<SupplyCutInfo>, ProblemHttpResult>> ChangeDeliveryAsync(
        string centreId, string deliveryId, DeliveryChangeRequest body, GrainReferences grains)
    {
        var input = new Input();
        DateOnly? date = body.Date is null ? null : input.Date("date", body.Date);
        int? doses = body.Doses is null ? null : input.Number("doses", body.Doses, 0, 1_000_000);
        var status = body.Status?.ToLowerInvariant();
        if (status is not (null or "confirmed" or "forecast"))
        {
            input.Fail("status", "Either 'confirmed' or 'forecast'.");
        }
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (await ExistingCentre(centreId, grains) is not { } centre)
        {
            return Problems.CentreNotFound(centreId);
        }
        var result = await centre.ChangeDelivery(deliveryId, new DeliveryChange(date, doses, status, body.Apply ?? false));
        return result.Value is { } plan ? TypedResults.Ok(plan) : Problems.From(result.Problem!);
    }

    public static async Task<Results<Ok<DayAppointment[]>, ProblemHttpResult>> AppointmentsAsync(string centreId, string? date, GrainReferences grains)
    {
        var input = new Input();
        var day = input.Date("date", date);
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (await ExistingCentre(centreId, grains) is not { } centre)
        {
            return Problems.CentreNotFound(centreId);
        }
        return TypedResults.Ok((await centre.Appointments(day)).ToArray());
    }

    public static async Task<Results<Ok<StockDayInfo[]>, ProblemHttpResult>> StockAsync(
        string centreId, string? vaccine, string? from, string? to, GrainReferences grains, Booking.Grains.Domain.VaccineCatalog catalog, TimeProvider time)
    {
        var input = new Input();
        var vaccineId = CentresApi.ReadVaccine(input, vaccine, catalog);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = from is null ? today : input.Date("from", from);
        var last = to is null ? first.AddDays(90) : input.Date("to", to);
        if (input.IsValid && (last < first || last.DayNumber - first.DayNumber > 366))
        {
            input.Fail("to", "'to' must be on or after 'from', at most a year later.");
        }
        if (!input.IsValid)
        {
            return Problems.Validation(input.Errors);
        }
        if (await ExistingCentre(centreId, grains) is not { } centre)
        {
            return Problems.CentreNotFound(centreId);
        }
        return TypedResults.Ok((await centre.StockReport(vaccineId, first, last)).ToArray());
    }

    /// <summary>The centre's grain if the centre has been set up; null for an unknown or malformed id.</summary>
    public static async Task<ICentreGrain?> ExistingCentre(string centreId, GrainReferences grains)
    {
        if (!IsCentreId(centreId))
        {
            return null;
        }
        var centre = grains.Centre(centreId);
        return await centre.Describe() is null ? null : centre;
    }

    public static bool IsCentreId(string centreId) => CentreIdPattern().IsMatch(centreId);

    private static CentreDefinition ReadDefinition(CentreRequest body, Input input)
    {
        var hours = new List<OpeningPeriod>();
        foreach (var (h, i) in (body.OpeningHours ?? []).Select((h, i) => (h, i)))
        {
            if (!Enum.TryParse<DayOfWeek>(h.Day, ignoreCase: true, out var day) || int.TryParse(h.Day, out _))
            {
                input.Fail($"openingHours[{i}].day", "A day name such as Monday.");
            }
            hours.Add(new OpeningPeriod(day, input.Time($"openingHours[{i}].open", h.Open), input.Time($"openingHours[{i}].close", h.Close)));
        }
        var closed = (body.ClosedDates ?? []).Select((d, i) => input.Date($"closedDates[{i}]", d)).ToArray();
        if (body.Latitude is null || body.Longitude is null)
        {
            input.Fail("latitude", "Latitude and longitude are required.");
        }
        return new CentreDefinition(
            input.Text("name", body.Name),
            input.Text("address", body.Address, required: false),
            input.Text("postcode", body.Postcode, 20, required: false),
            input.Text("city", body.City, 100, required: false),
            body.Latitude ?? 0,
            body.Longitude ?? 0,
            input.Text("timeZone", body.TimeZone, 64),
            input.Number("lines", body.Lines, 1, 200),
            input.Number("slotMinutes", body.SlotMinutes, 5, 240),
            hours,
            closed,
            (body.Vaccines ?? []).Select(v => v.Trim().ToLowerInvariant()).Distinct().ToArray(),
            body.BookingHorizonDays ?? 28,
            body.BookForecastDoses ?? false);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex CentreIdPattern();
}
