using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Booking.Baseline;
using Booking.Grains;
using Booking.Grains.Domain;
using Npgsql;
using PhoneNumbers;

// The SQL baseline: the same booking rules and HTTP routes as Booking.Api (for what the load tool
// uses), done the conventional way in PostgreSQL alone. See loadtests/README.md.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
});
var connectionString = builder.Configuration.GetConnectionString("Baseline")
    ?? "Host=127.0.0.1;Port=55450;Username=postgres;Password=booking-dev;Database=booking_baseline";
// Honest tuning for 2 cores, the engine's own: automatic preparation of the statements used on
// every request, no pool reset, and a small pool, unless the string sets them.
var csb = new NpgsqlConnectionStringBuilder(BookingGrainsServices.Tuned(connectionString));
if (!BookingGrainsServices.Sets(connectionString, "MaximumPoolSize"))
{
    csb.MaxPoolSize = 16;
}
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(csb.ConnectionString));
builder.Services.AddSingleton<ListingCache>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<Store>();

var app = builder.Build();
await Schema.EnsureAsync(csb.ConnectionString, app.Logger);
var store = app.Services.GetRequiredService<Store>();
await store.LoadCentresAsync();

var secret = Convert.FromBase64String(app.Configuration["Baseline:IdentitySecret"] ?? "ZGV2ZWxvcG1lbnQtb25seS1pZGVudGl0eS1zZWNyZXQtMzItYnl0ZXM=");
var portalHash = Convert.FromHexString(app.Configuration["Baseline:PortalKeySha256"] ?? "2504d188b031010e18d0044ecd3b43837eee251acf284a4e15da0282e6d5f384");
var operatorHash = Convert.FromHexString(app.Configuration["Baseline:OperatorKeySha256"] ?? "7eee78659ab50d4dd820f4242709d188809ca0249506edf83d70022973d5e2ca");
var phones = PhoneNumberUtil.GetInstance();

// Database overloaded or unavailable (pool exhausted, timeouts): 503 with Retry-After, as the contract says.
app.Use(async (http, next) =>
{
    try
    {
        await next(http);
    }
    catch (Exception e) when (e is NpgsqlException or TimeoutException && !http.Response.HasStarted)
    {
        http.Response.Headers.RetryAfter = "1";
        await Http.Write(http, Outcome.Fail(503, "unavailable", "The database is overloaded or unavailable; retry after the delay."));
    }
});

// X-Api-Key: operator scope under /api/v1/manage, portal scope for the rest of /api/v1.
app.Use(async (http, next) =>
{
    var path = http.Request.Path;
    if (path.StartsWithSegments("/api/v1"))
    {
        var key = http.Request.Headers["X-Api-Key"].ToString();
        var hash = key.Length == 0 ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var scope = hash is null ? null
            : CryptographicOperations.FixedTimeEquals(hash, portalHash) ? "portal"
            : CryptographicOperations.FixedTimeEquals(hash, operatorHash) ? "operator" : null;
        var wanted = path.StartsWithSegments("/api/v1/manage") ? "operator" : "portal";
        if (scope is null)
        {
            await Http.Write(http, Outcome.Fail(401, "unauthorized", "Missing or unknown X-Api-Key."));
            return;
        }
        if (scope != wanted)
        {
            await Http.Write(http, Outcome.Fail(403, "forbidden", $"This key has the {scope} scope; {wanted} is needed."));
            return;
        }
        http.Items["client"] = scope == "portal" ? "dev-portal" : "dev-operator";
    }
    await next(http);
});

app.MapGet("/health/live", () => Results.Text("Healthy"));

app.MapGet("/api/v1/vaccines", () => Rules.Catalogue.Values.OrderBy(v => v.Id, StringComparer.Ordinal)
    .Select(v => new { v.Id, v.Name, v.Cvx, v.DosesPerVial, v.Injections, minIntervalDays = v.NeedsSecondDose ? v.MinIntervalDays : (int?)null, maxIntervalDays = v.NeedsSecondDose ? v.MaxIntervalDays : (int?)null }));

app.MapPut("/api/v1/manage/centres/{centreId}", async (string centreId, CentreRequest body, HttpContext http) =>
{
    var input = new Input();
    if (!Http.IsCentreId(centreId))
    {
        input.Fail("centreId", "1 to 64 characters: lower-case letters, digits and hyphens.");
    }
    var hours = (body.OpeningHours ?? []).Select((h, i) =>
    {
        if (!Enum.TryParse<DayOfWeek>(h.Day, true, out var day) || int.TryParse(h.Day, out _))
        {
            input.Fail($"openingHours[{i}].day", "A day name such as Monday.");
        }
        return new Opening(day, input.Time($"openingHours[{i}].open", h.Open), input.Time($"openingHours[{i}].close", h.Close));
    }).ToList();
    var closed = (body.ClosedDates ?? []).Select((d, i) => input.Date($"closedDates[{i}]", d)).ToList();
    var vaccines = (body.Vaccines ?? []).Select(v => v.Trim().ToLowerInvariant()).Distinct().ToList();
    if (vaccines.Count == 0 || vaccines.Any(v => !Rules.Catalogue.ContainsKey(v)))
    {
        input.Fail("vaccines", $"One or more of: {string.Join(", ", Rules.Catalogue.Keys)}.");
    }
    var zone = input.Text("timeZone", body.TimeZone, 64);
    if (zone.Length > 0 && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
    {
        input.Fail("timeZone", "An IANA time zone such as Europe/Paris.");
    }
    if (body.Latitude is null || body.Longitude is null)
    {
        input.Fail("latitude", "Latitude and longitude are required.");
    }
    var name = input.Text("name", body.Name);
    var lines = input.Number("lines", body.Lines, 1, 200);
    var slotMinutes = input.Number("slotMinutes", body.SlotMinutes, 5, 240);
    var horizon = input.Number("bookingHorizonDays", body.BookingHorizonDays ?? 28, 1, 366);
    if (!input.IsValid)
    {
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    var def = new CentreDef(centreId, name, body.Address ?? "", body.Postcode ?? "", body.City ?? "", body.Latitude!.Value, body.Longitude!.Value,
        zone, lines, slotMinutes, hours, closed, vaccines, horizon, body.BookForecastDoses ?? false);
    return Http.Result(await store.PutCentre(def));
});

app.MapPost("/api/v1/manage/centres/{centreId}/deliveries", async (string centreId, DeliveryRequest body) =>
{
    var input = new Input();
    var vaccine = (body.Vaccine ?? "").Trim().ToLowerInvariant();
    if (!Rules.Catalogue.ContainsKey(vaccine))
    {
        input.Fail("vaccine", $"One of: {string.Join(", ", Rules.Catalogue.Keys)}.");
    }
    var date = input.Date("date", body.Date);
    var doses = input.Number("doses", body.Doses, 0, 1_000_000);
    var status = (body.Status ?? "confirmed").ToLowerInvariant();
    if (status is not ("confirmed" or "forecast"))
    {
        input.Fail("status", "Either 'confirmed' or 'forecast'.");
    }
    if (!input.IsValid)
    {
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    return store.Centre(centreId) is not { } c ? Http.CentreNotFound(centreId) : Http.Result(await store.AddDelivery(c, vaccine, date, doses, status));
});

app.MapPut("/api/v1/manage/centres/{centreId}/deliveries/{deliveryId}", async (string centreId, string deliveryId, DeliveryChangeRequest body) =>
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
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    return store.Centre(centreId) is not { } c ? Http.CentreNotFound(centreId)
        : Http.Result(await store.ChangeDelivery(c, deliveryId, date, doses, status, body.Apply ?? false));
});

app.MapGet("/api/v1/centres/{centreId}/slots", async (string centreId, string? vaccine, string? from, string? to) =>
{
    var input = new Input();
    var v = Rules.Catalogue.GetValueOrDefault(vaccine ?? "");
    if (v is null)
    {
        input.Fail("vaccine", $"One of: {string.Join(", ", Rules.Catalogue.Keys)}.");
    }
    var today = DateOnly.FromDateTime(DateTime.UtcNow);
    var first = from is null ? today : input.Date("from", from);
    var last = to is null ? first.AddDays(6) : input.Date("to", to);
    if (input.IsValid && (last < first || last.DayNumber - first.DayNumber >= 31))
    {
        input.Fail("to", "'to' must be on or after 'from', at most 31 days in all.");
    }
    if (!input.IsValid)
    {
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    if (store.Centre(centreId) is not { } c)
    {
        return Http.CentreNotFound(centreId);
    }
    return c.Def.Vaccines.Contains(v!.Id)
        ? Results.Bytes(await store.FirstDoseSlotsJson(c, v, first, last), "application/json; charset=utf-8")
        : Results.Ok(Array.Empty<object>());
});

// Centre search, as Booking.Api answers it: the nearest centres within the radius, each with its
// next bookable first-dose slot and its bookable slots over 7 days (Store.OutlookAsync).
app.MapGet("/api/v1/centres", async (double? lat, double? lon, double? radiusKm, string? vaccine, int? limit) =>
{
    var input = new Input();
    var (radius, count) = SearchBounds.Check(lat, lon, radiusKm, limit, input.Fail);
    if (vaccine is not null && !Rules.Catalogue.ContainsKey(vaccine))
    {
        input.Fail("vaccine", $"One of: {string.Join(", ", Rules.Catalogue.Keys)}.");
    }
    if (!input.IsValid)
    {
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    var nearest = store.Centres
        .Where(c => vaccine is null || c.Def.Vaccines.Contains(vaccine))
        .Select(c => (Centre: c, Distance: GreatCircle.DistanceKm(lat!.Value, lon!.Value, c.Def.Latitude, c.Def.Longitude)))
        .Where(n => n.Distance <= radius)
        .OrderBy(n => n.Distance).ThenBy(n => n.Centre.Def.Id, StringComparer.Ordinal)
        .Take(count)
        .ToArray();
    var results = new List<object>(nearest.Length);
    foreach (var (c, distance) in nearest)
    {
        DateTimeOffset? next = null;
        var free = 0;
        foreach (var id in vaccine is null ? c.Def.Vaccines : [vaccine])
        {
            var outlook = await store.OutlookAsync(c, Rules.Catalogue[id]);
            next = outlook.NextFirstDoseSlot is { } n && (next is null || n < next) ? n : next;
            free += outlook.FreeSlots7Days;
        }
        var d = c.Def;
        results.Add(new
        {
            d.Id, d.Name, d.Postcode, d.City, d.Latitude, d.Longitude, DistanceKm = Math.Round(distance, 2),
            d.Vaccines, NextFirstDoseSlot = next, FreeSlots7Days = free,
        });
    }
    return Results.Json(results, Json.Options);
});

app.MapPost("/api/v1/bookings", async (CreateBookingRequest body, HttpContext http) =>
{
    var input = new Input();
    var centreId = input.Text("centreId", body.CentreId, 64);
    var vaccine = Rules.Catalogue.GetValueOrDefault(body.Vaccine ?? "");
    if (vaccine is null)
    {
        input.Fail("vaccine", $"One of: {string.Join(", ", Rules.Catalogue.Keys)}.");
    }
    var first = input.Instant("firstDose", body.FirstDose);
    var second = input.Instant("secondDose", body.SecondDose, required: false);
    var (identity, birthCheck, phone) = Http.Citizen(input, body.Citizen, secret, phones);
    var key = http.Request.Headers["Idempotency-Key"].ToString();
    if (http.Request.Headers.ContainsKey("Idempotency-Key") && (key.Length is 0 or > 100))
    {
        input.Fail("Idempotency-Key", "1 to 100 characters.");
    }
    if (!input.IsValid)
    {
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    if (store.Centre(centreId) is not { } c)
    {
        return Http.CentreNotFound(centreId);
    }
    if (!c.Def.Vaccines.Contains(vaccine!.Id))
    {
        return Http.Result(Outcome.Invalid("vaccine", $"This centre does not offer '{vaccine.Id}'."));
    }
    var now = DateTimeOffset.UtcNow;
    if (first!.Value <= now)
    {
        return Http.Result(Outcome.Invalid("firstDose", "The slot has already started."));
    }
    if (Rules.LocalDate(first.Value, c.Def.Zone) > Rules.LocalDate(now, c.Def.Zone).AddDays(c.Def.BookingHorizonDays))
    {
        return Http.Result(Outcome.Invalid("firstDose", $"First doses can be booked at most {c.Def.BookingHorizonDays} days ahead."));
    }
    if (!vaccine.NeedsSecondDose && second is not null)
    {
        return Http.Result(Outcome.Invalid("secondDose", $"'{vaccine.Id}' is a single-dose vaccine."));
    }
    (string, string, string)? idem = key.Length > 0
        ? ((string)http.Items["client"]!, key, Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(body, Json.Options))))
        : null;
    return Http.Result(await store.Book(new BookCommand(c.Def.Id, vaccine.Id, first.Value, second, identity, birthCheck, phone, idem)));
});

app.MapGet("/api/v1/bookings/{reference}", async (string reference, string? birthDate) =>
    Http.BirthCheck(birthDate, secret) is { } check ? Http.Result(await store.Find(reference, check)) : Http.BookingNotFound());

app.MapDelete("/api/v1/bookings/{reference}", async (string reference, string? birthDate) =>
    Http.BirthCheck(birthDate, secret) is { } check ? Http.Result(await store.Cancel(reference, check)) : Http.BookingNotFound());

app.MapPost("/api/v1/bookings/{reference}/reschedule", async (string reference, string? birthDate, RescheduleRequest body) =>
{
    var input = new Input();
    var first = input.Instant("firstDose", body.FirstDose, required: false);
    var second = input.Instant("secondDose", body.SecondDose, required: false);
    if (!input.IsValid)
    {
        return Http.Result(new Outcome(422, Problem: "validation", Detail: "The request has invalid fields", Errors: input.Errors));
    }
    return Http.BirthCheck(birthDate, secret) is { } check ? Http.Result(await store.Reschedule(reference, check, first, second)) : Http.BookingNotFound();
});

app.Run();

namespace Booking.Baseline
{
    public sealed record OpeningHoursRequest(string? Day, string? Open, string? Close);

    public sealed record CentreRequest(
        string? Name, string? Address, string? Postcode, string? City, double? Latitude, double? Longitude,
        string? TimeZone, int? Lines, int? SlotMinutes, IReadOnlyList<OpeningHoursRequest>? OpeningHours,
        IReadOnlyList<string>? ClosedDates, IReadOnlyList<string>? Vaccines, int? BookingHorizonDays, bool? BookForecastDoses);

    public sealed record DeliveryRequest(string? Vaccine, string? Date, int? Doses, string? Status);

    public sealed record DeliveryChangeRequest(string? Date, int? Doses, string? Status, bool? Apply);

    public sealed record CitizenRequest(string? FirstName, string? LastName, string? BirthDate, string? Phone, string? Email, string? HealthNumber);

    public sealed record CreateBookingRequest(string? CentreId, string? Vaccine, string? FirstDose, string? SecondDose, CitizenRequest? Citizen);

    public sealed record RescheduleRequest(string? FirstDose, string? SecondDose);

    public static class Json
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
        {
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
    }

    /// <summary>Field errors collected while reading a request (one 422 lists them all), as Booking.Api does.</summary>
    public sealed partial class Input
    {
        public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

        public bool IsValid => Errors.Count == 0;

        public void Fail(string field, string message) => Errors[field] = Errors.TryGetValue(field, out var e) ? [.. e, message] : [message];

        public string Text(string field, string? value, int max = 200, bool required = true)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                if (required)
                {
                    Fail(field, "Required.");
                }
                return "";
            }
            if (value.Length > max)
            {
                Fail(field, $"At most {max} characters.");
                return "";
            }
            return value.Trim();
        }

        public DateOnly Date(string field, string? value)
        {
            if (value is null || !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                Fail(field, "Expected a date as yyyy-MM-dd.");
                return default;
            }
            return date;
        }

        public TimeOnly Time(string field, string? value)
        {
            if (value is null || !TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                Fail(field, "Expected a time as HH:mm.");
                return default;
            }
            return time;
        }

        public int Number(string field, int? value, int min, int max)
        {
            if (value is null || value < min || value > max)
            {
                Fail(field, $"Required, from {min} to {max}.");
                return min;
            }
            return value.Value;
        }

        public DateTimeOffset? Instant(string field, string? value, bool required = true)
        {
            if (value is null)
            {
                if (required)
                {
                    Fail(field, "Required, as an ISO 8601 time with its offset.");
                }
                return null;
            }
            if (value.Length > 40 || !OffsetSuffix().IsMatch(value)
                || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var instant))
            {
                Fail(field, "Expected an ISO 8601 time with its offset, e.g. 2027-03-01T09:20:00+01:00.");
                return null;
            }
            return instant;
        }

        [GeneratedRegex(@"T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")]
        private static partial Regex OffsetSuffix();
    }

    public static partial class Http
    {
        public static bool IsCentreId(string id) => CentreIdPattern().IsMatch(id);

        [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
        private static partial Regex CentreIdPattern();

        public static IResult CentreNotFound(string id) => Result(Outcome.Fail(404, "centre-not-found", $"Centre '{id}' does not exist."));

        public static IResult BookingNotFound() => Result(Outcome.Fail(404, "booking-not-found", "No booking matches this reference and birth date."));

        public static string? BirthCheck(string? birthDate, byte[] secret) =>
            birthDate is not null && DateOnly.TryParseExact(birthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? Rules.Hash(secret, $"birth-date|{d:yyyy-MM-dd}") : null;

        /// <summary>The keyed hashes of the citizen, and their mobile number in E.164 for the confirmation SMS.</summary>
        public static (string Identity, string BirthCheck, string Phone) Citizen(Input input, CitizenRequest? c, byte[] secret, PhoneNumberUtil phones)
        {
            if (c is null)
            {
                input.Fail("citizen", "Required.");
                return ("", "", "");
            }
            var first = input.Text("citizen.firstName", c.FirstName, 100);
            var last = input.Text("citizen.lastName", c.LastName, 100);
            var birth = input.Date("citizen.birthDate", c.BirthDate);
            if (input.IsValid && (birth.Year < 1900 || birth > DateOnly.FromDateTime(DateTime.UtcNow)))
            {
                input.Fail("citizen.birthDate", "Not a plausible birth date.");
            }
            if (first.Length > 0 && IdentityKeys.Normalise(first).Length == 0)
            {
                input.Fail("citizen.firstName", "Must contain letters.");
            }
            if (last.Length > 0 && IdentityKeys.Normalise(last).Length == 0)
            {
                input.Fail("citizen.lastName", "Must contain letters.");
            }
            var phone = input.Text("citizen.phone", c.Phone, 32);
            var mobile = "";
            if (phone.Length > 0)
            {
                try
                {
                    var n = phones.Parse(phone, "FR");
                    if (!phones.IsValidNumber(n) || phones.GetNumberType(n) is not (PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
                    {
                        input.Fail("citizen.phone", "Not a valid mobile number.");
                    }
                    mobile = phones.Format(n, PhoneNumberFormat.E164);
                }
                catch (NumberParseException)
                {
                    input.Fail("citizen.phone", "Not a valid mobile number.");
                }
            }
            if (c.Email is { } email && (email.Length > 254 || !email.Contains('@', StringComparison.Ordinal)))
            {
                input.Fail("citizen.email", "Not a valid e-mail address.");
            }
            var health = input.Text("citizen.healthNumber", c.HealthNumber, 32, required: false);
            var identity = health.Length > 0
                ? Rules.Hash(secret, $"health-number|{new string(health.Where(char.IsLetterOrDigit).ToArray()).ToUpperInvariant()}")
                : Rules.Hash(secret, $"person|{IdentityKeys.Normalise(last)}|{IdentityKeys.Normalise(first)}|{birth:yyyy-MM-dd}");
            return (identity, Rules.Hash(secret, $"birth-date|{birth:yyyy-MM-dd}"), mobile);
        }

        /// <summary>An outcome as HTTP: JSON body, a stored answer replayed byte for byte, or an RFC 9457 problem.</summary>
        public static IResult Result(Outcome o)
        {
            if (o.Problem is null)
            {
                if (o.Raw is not null)
                {
                    return new RawJson(o.Status, o.Raw, o.Location);
                }
                if (o.Status == 204)
                {
                    return Results.NoContent();
                }
                return o.Location is not null && o.Status == 201 ? Results.Created(o.Location, o.Body) : Results.Json(o.Body, Json.Options, statusCode: o.Status);
            }
            var problem = new Dictionary<string, object?>
            {
                ["type"] = "/problems/" + o.Problem,
                ["title"] = o.Problem,
                ["status"] = o.Status,
                ["detail"] = o.Detail,
            };
            if (o.Errors is not null)
            {
                problem["errors"] = o.Errors;
            }
            if (o.Extensions is not null)
            {
                foreach (var p in JsonSerializer.SerializeToElement(o.Extensions, Json.Options).EnumerateObject())
                {
                    problem[p.Name] = p.Value;
                }
            }
            return Results.Json(problem, Json.Options, "application/problem+json", o.Status);
        }

        public static Task Write(HttpContext http, Outcome o) => Result(o).ExecuteAsync(http);

        private sealed class RawJson(int status, string json, string? location) : IResult
        {
            public Task ExecuteAsync(HttpContext http)
            {
                http.Response.StatusCode = status;
                if (location is not null)
                {
                    http.Response.Headers.Location = location;
                }
                http.Response.ContentType = "application/json; charset=utf-8";
                return http.Response.WriteAsync(json);
            }
        }
    }
}
