using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Booking.Api.Tests;

/// <summary>Every refusal of the booking endpoints, with its status, problem type, field names and
/// what the database holds afterwards; and the Idempotency-Key rules (I7).</summary>
public sealed class ProblemTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static DateOnly Day => TestData.Today.AddDays(7);

    private Task<string> StockedCentreAsync(int lines = 2) => api.CreateCentreAsync(new CentreSpec(Lines: lines), DeliverySpec.Today(200));

    // ---- 422 validation -----------------------------------------------------------------------

    [Fact]
    public async Task Unknown_vaccine_is_a_validation_error_on_vaccine()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9), vaccine: "sputnik"));
        await Expect.ValidationAsync(response, "vaccine");
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Fact]
    public async Task Vaccine_not_offered_by_the_centre_is_a_validation_error_on_vaccine()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Vaccines: ["moderna"]), DeliverySpec.Today(200, "moderna"));
        using var portal = api.Portal();
        using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9), vaccine: "pfizer"));
        await Expect.ValidationAsync(response, "vaccine");
    }

    [Theory]
    [InlineData("2027-03-01T09:20:00")]          // no offset: ambiguous local time
    [InlineData("2027-03-01 09:20")]
    [InlineData("tomorrow at nine")]
    [InlineData("2027-02-30T09:20:00+01:00")]
    public async Task Malformed_first_dose_time_is_a_validation_error_on_firstDose(string firstDose)
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var body = BookingBody.For(centreId, TestData.At(Day, 9)) with { FirstDose = firstDose };
        using var response = await portal.BookAsync(body);
        await Expect.ValidationAsync(response, "firstDose");
    }

    [Fact]
    public async Task Malformed_second_dose_time_is_a_validation_error_on_secondDose()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var body = BookingBody.For(centreId, TestData.At(Day, 9)) with { SecondDose = "2027-03-22T09:20:00" };
        using var response = await portal.BookAsync(body);
        await Expect.ValidationAsync(response, "secondDose");
    }

    [Fact]
    public async Task Time_that_is_not_a_slot_of_the_centre_is_a_validation_error_on_firstDose()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        // 10-minute slots from 08:00: 09:05 is between two slots; 07:00 is before opening.
        using (var between = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9, 5))))
        {
            await Expect.ValidationAsync(between, "firstDose");
        }
        using (var closed = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 7))))
        {
            await Expect.ValidationAsync(closed, "firstDose");
        }
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Fact]
    public async Task Slot_on_a_closed_date_is_a_validation_error_on_firstDose()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(ClosedDates: [Day]), DeliverySpec.Today(200));
        using var portal = api.Portal();
        using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9)));
        await Expect.ValidationAsync(response, "firstDose");
    }

    [Theory]
    [InlineData(10)]   // pfizer: 21 to 49 days
    [InlineData(20)]
    [InlineData(50)]
    public async Task Second_dose_outside_the_interval_is_a_validation_error_on_secondDose(int days)
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9), TestData.At(Day.AddDays(days), 9)));
        await Expect.ValidationAsync(response, "secondDose");
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Theory]
    [InlineData("06 12 34 56 78")]       // national format
    [InlineData("+33 7 81 23 45 67")]
    [InlineData("+262 692 12 34 56")]    // Réunion
    [InlineData("+594 694 20 12 34")]    // French Guiana
    public async Task Mobile_numbers_of_France_and_its_overseas_regions_are_accepted(string phone)
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var body = BookingBody.For(centreId, TestData.At(Day, 9));
        using var response = await portal.BookAsync(body with { Citizen = body.Citizen with { Phone = phone } });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("+33 1 42 68 53 00")]  // a Paris landline: not a mobile
    [InlineData("+33 6 12 34 56")]     // a mobile prefix, two digits short
    [InlineData("+33 8 00 12 34 56")]  // a freephone number
    [InlineData("call me")]
    [InlineData("")]
    public async Task Invalid_phone_is_a_validation_error_on_citizen_phone(string phone)
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var body = BookingBody.For(centreId, TestData.At(Day, 9));
        using var response = await portal.BookAsync(body with { Citizen = body.Citizen with { Phone = phone } });
        await Expect.ValidationAsync(response, "citizen.phone");
    }

    [Theory]
    [InlineData("1990-02-30")]
    [InlineData("15/06/1984")]
    [InlineData("1850-01-01")]
    [InlineData("2999-01-01")]
    public async Task Bad_birth_date_is_a_validation_error_on_citizen_birthDate(string birthDate)
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var body = BookingBody.For(centreId, TestData.At(Day, 9));
        using var response = await portal.BookAsync(body with { Citizen = body.Citizen with { BirthDate = birthDate } });
        await Expect.ValidationAsync(response, "citizen.birthDate");
    }

    [Fact]
    public async Task Several_bad_fields_are_reported_together()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var body = new BookingBody(centreId, "sputnik", "2027-03-01T09:20:00", null,
            new CitizenBody("Camille", "Test-" + TestData.UniqueLetters(), "1990-02-30", "12345", null));
        using var response = await portal.BookAsync(body);
        await Expect.ValidationAsync(response, "vaccine", "firstDose", "citizen.birthDate", "citizen.phone");
    }

    // ---- 404 ----------------------------------------------------------------------------------

    [Fact]
    public async Task Unknown_centre_gets_404_centre_not_found_on_booking_and_on_slots()
    {
        var unknown = TestData.NewCentreId("nowhere");
        using var portal = api.Portal();
        using (var book = await portal.BookAsync(BookingBody.For(unknown, TestData.At(Day, 9))))
        {
            await Expect.ProblemAsync(book, HttpStatusCode.NotFound, "centre-not-found");
        }
        using (var slots = await portal.SlotsResponseAsync(unknown, Day, Day))
        {
            await Expect.ProblemAsync(slots, HttpStatusCode.NotFound, "centre-not-found");
        }
        using (var secondDoses = await portal.GetAsync(
            $"/api/v1/centres/{unknown}/second-dose-slots?vaccine=pfizer&firstDose={Uri.EscapeDataString(TestData.Iso(TestData.At(Day, 9)))}"))
        {
            await Expect.ProblemAsync(secondDoses, HttpStatusCode.NotFound, "centre-not-found");
        }
        Assert.Empty(await api.Db.LedgerAsync(unknown));
    }

    [Fact]
    public async Task Wrong_birth_date_or_unknown_reference_gets_404_booking_not_found()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var citizen = CitizenBody.New(birthDate: "1975-11-02");
        var booking = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 9), citizen: citizen));

        using (var right = await portal.GetBookingAsync(booking.Reference, "1975-11-02"))
        {
            Assert.Equal(booking, await Expect.BookingAsync(right, HttpStatusCode.OK), BookingComparer.Instance);
        }
        foreach (var wrong in new[] { "1975-11-03", "1902-11-02", "not-a-date" })
        {
            using var response = await portal.GetBookingAsync(booking.Reference, wrong);
            await Expect.ProblemAsync(response, HttpStatusCode.NotFound, "booking-not-found");
        }
        using (var unknown = await portal.GetBookingAsync("ABCDEFGHJK", "1975-11-02"))
        {
            await Expect.ProblemAsync(unknown, HttpStatusCode.NotFound, "booking-not-found");
        }
        // A wrong birth date cannot cancel either.
        using (var cancel = await portal.CancelAsync(booking.Reference, "1975-11-03"))
        {
            await Expect.ProblemAsync(cancel, HttpStatusCode.NotFound, "booking-not-found");
        }
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "booking-cancelled"));
    }

    // ---- 409 ----------------------------------------------------------------------------------

    [Fact]
    public async Task Full_slot_gets_409_slot_full()
    {
        var centreId = await StockedCentreAsync(lines: 1);
        using var portal = api.Portal();
        var slot = TestData.At(Day, 10);
        await portal.BookOkAsync(BookingBody.For(centreId, slot));

        using var response = await portal.BookAsync(BookingBody.For(centreId, slot));
        await Expect.ProblemAsync(response, HttpStatusCode.Conflict, "slot-full");
        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Single(await api.Db.CitizenBookingsAtAsync(centreId));
    }

    [Fact]
    public async Task Full_explicit_second_dose_slot_gets_409_slot_full()
    {
        var centreId = await StockedCentreAsync(lines: 1);
        using var portal = api.Portal();
        var second = TestData.At(Day.AddDays(25), 10);
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 10), second));

        using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 11), second));
        await Expect.ProblemAsync(response, HttpStatusCode.Conflict, "slot-full");
        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Fact]
    public async Task No_open_day_in_the_second_dose_interval_gets_409_no_second_dose()
    {
        // Open every day, but closed on every day from first + 21 to first + 49 (pfizer's window),
        // with plenty of doses: the first dose is free and stocked, its second dose impossible.
        var closed = Enumerable.Range(21, 49 - 21 + 1).Select(d => Day.AddDays(d)).ToArray();
        var centreId = await api.CreateCentreAsync(new CentreSpec(ClosedDates: closed), DeliverySpec.Today(200));
        using var portal = api.Portal();

        using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9)));
        await Expect.ProblemAsync(response, HttpStatusCode.Conflict, "no-second-dose");
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        // I6: such a first-dose slot is not offered at all.
        Assert.Empty(await portal.SlotsAsync(centreId, Day, Day));
    }

    [Fact]
    public async Task Centre_without_doses_gets_409_out_of_stock()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec());
        using var portal = api.Portal();
        using (var picked = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9))))
        {
            await Expect.ProblemAsync(picked, HttpStatusCode.Conflict, "out-of-stock");
        }
        using (var explicitSecond = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9), TestData.At(Day.AddDays(28), 9))))
        {
            await Expect.ProblemAsync(explicitSecond, HttpStatusCode.Conflict, "out-of-stock");
        }
        using (var singleDose = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9), vaccine: "janssen")))
        {
            await Expect.ProblemAsync(singleDose, HttpStatusCode.Conflict, "out-of-stock");
        }
        Assert.Equal(0, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Fact]
    public async Task Same_person_under_a_name_variant_at_another_centre_gets_409_already_booked()
    {
        var first = await StockedCentreAsync();
        var second = await StockedCentreAsync();
        using var portal = api.Portal();
        var family = TestData.UniqueLetters();
        var elodie = new CitizenBody("Élodie", $"Dupont-{family}", "1991-03-14", "+33612345678", "elodie@example.org");
        var booking = await portal.BookOkAsync(BookingBody.For(first, TestData.At(Day, 9), citizen: elodie));

        var variant = new CitizenBody("ELODIE", $"DUPONT {family.ToUpperInvariant()}", "1991-03-14", "06 98 76 54 32", null);
        using var response = await portal.BookAsync(BookingBody.For(second, TestData.At(Day.AddDays(1), 11), citizen: variant));
        await Expect.ProblemAsync(response, HttpStatusCode.Conflict, "already-booked");

        // Same centre again: refused too.
        using var again = await portal.BookAsync(BookingBody.For(first, TestData.At(Day, 10), citizen: variant));
        await Expect.ProblemAsync(again, HttpStatusCode.Conflict, "already-booked");

        Assert.Equal(0, await api.Db.CountLedgerAsync(second, "pair-booked"));
        Assert.Equal(1, await api.Db.CountLedgerAsync(first, "pair-booked"));
        var reference = await api.Db.BookingRefAsync(booking.Reference);
        Assert.NotNull(reference);
        var held = await api.Db.CitizenBookingsOfAsync(reference.IdentityKey);
        Assert.Equal([new CitizenBookingEntry(reference.IdentityKey, booking.Reference, first)], held);
    }

    // ---- Idempotency-Key (I7) ------------------------------------------------------------------

    [Fact]
    public async Task Same_idempotency_key_and_body_replays_the_first_answer_and_books_once()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var key = "idem-" + Guid.NewGuid().ToString("N");
        var body = BookingBody.For(centreId, TestData.At(Day, 9));

        using var first = await portal.BookAsync(body, key);
        var firstBody = await Expect.StatusAsync(first, HttpStatusCode.Created);
        using var repeat = await portal.BookAsync(body, key);
        var repeatBody = await Expect.StatusAsync(repeat, HttpStatusCode.Created);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(firstBody), JsonNode.Parse(repeatBody)), $"{firstBody}\nvs\n{repeatBody}");
        var booking = JsonSerializer.Deserialize<BookingDto>(repeatBody, JsonSerializerOptions.Web)!;
        Assert.Equal("confirmed", booking.Status);
        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        var stored = Assert.Single(await api.Db.IdempotencyAsync(key));
        Assert.Equal(201, stored.StatusCode);
        Assert.Equal("test-portal", stored.Scope);
        Assert.Equal(booking.Reference, JsonSerializer.Deserialize<BookingDto>(stored.Response, JsonSerializerOptions.Web)!.Reference);
    }

    [Fact]
    public async Task Concurrent_repeats_of_one_idempotent_request_book_once()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var key = "idem-" + Guid.NewGuid().ToString("N");
        var body = BookingBody.For(centreId, TestData.At(Day, 9));

        var bodies = await Task.Run(() => Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await portal.BookAsync(body, key);
            return await Expect.StatusAsync(response, HttpStatusCode.Created);
        })));
        var references = bodies.Select(b => JsonSerializer.Deserialize<BookingDto>(b, JsonSerializerOptions.Web)!.Reference).Distinct();
        Assert.Single(references);
        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
    }

    [Fact]
    public async Task Idempotent_replay_carries_the_same_Location_header()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var key = "idem-" + Guid.NewGuid().ToString("N");
        var body = BookingBody.For(centreId, TestData.At(Day, 9));

        using var first = await portal.BookAsync(body, key);
        var booking = await Expect.BookingAsync(first, HttpStatusCode.Created);
        Assert.Equal($"/api/v1/bookings/{booking.Reference}", first.Headers.Location?.OriginalString);
        using var repeat = await portal.BookAsync(body, key);
        await Expect.StatusAsync(repeat, HttpStatusCode.Created);
        // API.md: a repeat "returns the first answer", and a 201 booking answer carries a Location header.
        Assert.Equal(first.Headers.Location?.OriginalString, repeat.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Concurrent_requests_reusing_one_key_with_different_bodies_book_once()
    {
        // Same key, eight different citizens at once: one request is the first use of the key, the
        // others reuse it with another body and must be refused with 422 (I7), however they interleave.
        var centreId = await StockedCentreAsync(lines: 10);
        using var portal = api.Portal();
        var key = "idem-" + Guid.NewGuid().ToString("N");

        var results = await Task.Run(() => Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9)), key);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })));

        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
            Assert.Equal("/problems/idempotency-key-reused", JsonSerializer.Deserialize<ProblemDto>(r.Body, JsonSerializerOptions.Web)!.Type);
        });
    }

    [Fact]
    public async Task Same_idempotency_key_with_another_body_gets_422_idempotency_key_reused()
    {
        var centreId = await StockedCentreAsync();
        using var portal = api.Portal();
        var key = "idem-" + Guid.NewGuid().ToString("N");
        var body = BookingBody.For(centreId, TestData.At(Day, 9));
        using var first = await portal.BookAsync(body, key);
        await Expect.StatusAsync(first, HttpStatusCode.Created);

        using var other = await portal.BookAsync(body with { FirstDose = TestData.Iso(TestData.At(Day, 10)) }, key);
        await Expect.ProblemAsync(other, HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(1, await api.Db.CountLedgerAsync(centreId, "pair-booked"));
        Assert.Single(await api.Db.IdempotencyAsync(key));
    }
}

/// <summary>Bookings are equal when their fields and appointments are (records compare arrays by reference).</summary>
public sealed class BookingComparer : IEqualityComparer<BookingDto>
{
    public static readonly BookingComparer Instance = new();

    public bool Equals(BookingDto? x, BookingDto? y) =>
        x is not null && y is not null
        && (x with { Appointments = [] }) == (y with { Appointments = [] })
        && x.Appointments.SequenceEqual(y.Appointments);

    public int GetHashCode(BookingDto obj) => obj.Reference.GetHashCode(StringComparison.Ordinal);
}
