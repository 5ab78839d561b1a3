using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Booking.Api.Tests;

public sealed record DeliveryDto(string DeliveryId, string Vaccine, DateOnly Date, int Doses, string Status);

public sealed record PostponedDto(string Reference, int Dose, DateTimeOffset Start);

public sealed record SupplyCutDto(DeliveryDto Delivery, PostponedDto[] Postpone, int Kept);

public sealed record ShortfallDto(string Type, PostponedDto[] Postpone, int Kept);

public sealed record StockDayDto(DateOnly Date, int Delivered, int Booked, long Available, int VialsToOpen, int DosesWasted);

public sealed record DayAppointmentDto(string Reference, int Dose, string Vaccine, DateTimeOffset Start, string Status);

public sealed record WaitlistDto(string EntryId, string CentreId, string Vaccine, int Position, BookingDto? Offer, DateTimeOffset? OfferExpiresAt);

/// <summary>Reschedules, supply cuts, the waitlist, second doses booked alone, and the manager's reports, through HTTP.</summary>
public sealed class AllocationApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly DateOnly Day = TestData.Today.AddDays(3);

    [Fact]
    public async Task A_supply_cut_is_previewed_then_applied_postponing_the_latest_booking()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, Vaccines: ["pfizer"]), DeliverySpec.Today(6));
        using var portal = api.Portal();
        using var manager = api.Operator();
        var people = new[] { CitizenBody.New(), CitizenBody.New(), CitizenBody.New() };
        var bookings = new List<BookingDto>();
        for (var i = 0; i < 3; i++)
        {
            bookings.Add(await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 9, 10 * i), citizen: people[i])));
        }
        var delivery = (await manager.GetFromJsonAsync<DeliveryDto[]>($"/api/v1/manage/centres/{centreId}/deliveries", JsonSerializerOptions.Web))!.Single();
        var url = $"/api/v1/manage/centres/{centreId}/deliveries/{delivery.DeliveryId}";

        using var preview = await manager.PutAsJsonAsync(url, new { doses = 4 });
        var body = await Expect.StatusAsync(preview, HttpStatusCode.Conflict);
        var plan = JsonSerializer.Deserialize<ShortfallDto>(body, JsonSerializerOptions.Web)!;
        Assert.Equal("/problems/supply-shortfall", plan.Type);
        var latest = bookings[2];
        Assert.Equal(new[] { new PostponedDto(latest.Reference, 1, latest.First), new PostponedDto(latest.Reference, 2, latest.Second) },
            plan.Postpone.Select(p => p with { Start = TestData.Local(p.Start) }).ToArray());
        Assert.Equal(2, plan.Kept);
        Assert.Equal("confirmed", (await Expect.BookingAsync(await portal.GetBookingAsync(latest.Reference, people[2].BirthDate), HttpStatusCode.OK)).Status);

        using var apply = await manager.PutAsJsonAsync(url, new { doses = 4, apply = true });
        var applied = JsonSerializer.Deserialize<SupplyCutDto>(await Expect.StatusAsync(apply, HttpStatusCode.OK), JsonSerializerOptions.Web)!;
        Assert.Equal(plan.Postpone.Select(p => p.Reference), applied.Postpone.Select(p => p.Reference));
        Assert.Equal((4, 2), (applied.Delivery.Doses, applied.Kept));
        Assert.Equal("postponed", (await Expect.BookingAsync(await portal.GetBookingAsync(latest.Reference, people[2].BirthDate), HttpStatusCode.OK)).Status);
        Assert.Equal("confirmed", (await Expect.BookingAsync(await portal.GetBookingAsync(bookings[0].Reference, people[0].BirthDate), HttpStatusCode.OK)).Status);
        Assert.Equal(2, (await api.Db.CitizenBookingsAtAsync(centreId)).Count);
        // The postponed slot is free again; with no doses left, nobody else can take it.
        using var refused = await portal.BookAsync(BookingBody.For(centreId, TestData.At(Day, 9, 20)));
        await Expect.ProblemAsync(refused, HttpStatusCode.Conflict, "out-of-stock");
    }

    [Fact]
    public async Task Reschedule_moves_both_doses_atomically_and_frees_the_old_slot()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, Vaccines: ["pfizer"]), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var person = CitizenBody.New();
        var booking = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 9), citizen: person));
        var blocker = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day.AddDays(1), 11)));

        using var full = await portal.PostAsJsonAsync($"/api/v1/bookings/{booking.Reference}/reschedule?birthDate={person.BirthDate}",
            new { firstDose = TestData.Iso(blocker.First) });
        await Expect.ProblemAsync(full, HttpStatusCode.Conflict, "slot-full");
        var unchanged = await Expect.BookingAsync(await portal.GetBookingAsync(booking.Reference, person.BirthDate), HttpStatusCode.OK);
        Assert.Equal((booking.First, booking.Second), (unchanged.First, unchanged.Second));

        using var moved = await portal.PostAsJsonAsync($"/api/v1/bookings/{booking.Reference}/reschedule?birthDate={person.BirthDate}",
            new { firstDose = TestData.Iso(TestData.At(Day.AddDays(1), 10)) });
        var after = await Expect.BookingAsync(moved, HttpStatusCode.OK);
        Assert.Equal(TestData.At(Day.AddDays(1), 10), TestData.Local(after.First));
        Assert.Equal(TestData.At(Day.AddDays(22), 10), TestData.Local(after.Second));
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 9), TestData.At(Day.AddDays(21), 9)));
    }

    [Fact]
    public async Task A_freed_place_is_offered_to_the_waitlist_and_the_offer_can_be_accepted()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, Vaccines: ["pfizer"]), DeliverySpec.Today(2));
        using var portal = api.Portal();
        var first = CitizenBody.New();
        var booking = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 9), citizen: first));
        var waiting = CitizenBody.New(birthDate: "1990-01-02");
        using var join = await portal.PostAsJsonAsync($"/api/v1/centres/{centreId}/waitlist", new { vaccine = "pfizer", citizen = waiting });
        var entry = JsonSerializer.Deserialize<WaitlistDto>(await Expect.StatusAsync(join, HttpStatusCode.Created), JsonSerializerOptions.Web)!;
        Assert.Equal((1, null), (entry.Position, entry.Offer));

        using (var cancel = await portal.CancelAsync(booking.Reference, first.BirthDate))
        {
            await Expect.StatusAsync(cancel, HttpStatusCode.NoContent);
        }
        var offered = await portal.GetFromJsonAsync<WaitlistDto>(
            $"/api/v1/centres/{centreId}/waitlist/{entry.EntryId}?birthDate={waiting.BirthDate}", JsonSerializerOptions.Web);
        Assert.NotNull(offered?.Offer);
        Assert.Equal("offered", offered.Offer.Status);
        Assert.True(offered.OfferExpiresAt > DateTimeOffset.UtcNow.AddMinutes(14));
        // The hold takes the seats and doses: nobody else can book them meanwhile.
        using (var taken = await portal.BookAsync(BookingBody.For(centreId, offered.Offer.First)))
        {
            await Expect.StatusAsync(taken, HttpStatusCode.Conflict);
        }

        using var accept = await portal.PostAsync($"/api/v1/centres/{centreId}/waitlist/{entry.EntryId}/accept?birthDate={waiting.BirthDate}", null);
        var accepted = await Expect.BookingAsync(accept, HttpStatusCode.Created);
        Assert.Equal(("confirmed", offered.Offer.Reference), (accepted.Status, accepted.Reference));
        var ledger = (await api.Db.LedgerAsync(centreId)).Select(e => e.Kind).ToArray();
        Assert.Equal(["waitlist-joined", "booking-cancelled", "waitlist-offered", "waitlist-offer-ended"], ledger.Where(k => k.StartsWith("waitlist") || k == "booking-cancelled"));
        Assert.Single(await api.Db.CitizenBookingsAtAsync(centreId));
    }

    [Fact]
    public async Task A_second_dose_is_booked_alone_for_someone_vaccinated_elsewhere()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, Vaccines: ["pfizer"]), DeliverySpec.Today(10));
        using var portal = api.Portal();
        var givenOn = TestData.Today.AddDays(-18);
        using var response = await portal.PostAsJsonAsync("/api/v1/bookings", new
        {
            centreId, vaccine = "pfizer", firstDoseGivenOn = TestData.Iso(givenOn), secondDose = (string?)null, citizen = CitizenBody.New(),
        });
        var booking = await Expect.BookingAsync(response, HttpStatusCode.Created);
        var dose = Assert.Single(booking.Appointments);
        Assert.Equal(2, dose.Dose);
        Assert.Equal(TestData.At(givenOn.AddDays(21), 8), TestData.Local(dose.Start));
    }

    [Fact]
    public async Task The_manager_sees_the_day_list_and_stock_with_vials_and_waste()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 4, Vaccines: ["pfizer"]), DeliverySpec.Today(30));
        using var portal = api.Portal();
        using var manager = api.Operator();
        var booked = new List<BookingDto>();
        for (var i = 0; i < 7; i++)
        {
            booked.Add(await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(Day, 9, 10 * (i % 3)))));
        }

        var list = await manager.GetFromJsonAsync<DayAppointmentDto[]>(
            $"/api/v1/manage/centres/{centreId}/appointments?date={TestData.Iso(Day)}", JsonSerializerOptions.Web);
        Assert.Equal(booked.Select(b => b.Reference).Order(), list!.Select(a => a.Reference).Order());
        Assert.All(list!, a => Assert.Equal((1, "pfizer", "confirmed"), (a.Dose, a.Vaccine, a.Status)));

        var stock = await manager.GetFromJsonAsync<StockDayDto[]>(
            $"/api/v1/manage/centres/{centreId}/stock?vaccine=pfizer&from={TestData.Iso(TestData.Today)}&to={TestData.Iso(Day.AddDays(21))}",
            JsonSerializerOptions.Web);
        var today = stock!.Single(d => d.Date == TestData.Today);
        var day = stock!.Single(d => d.Date == Day);
        Assert.Equal(30, today.Delivered);
        Assert.Equal(new StockDayDto(Day, 0, 7, 30 - 14, 2, 5), day);
        Assert.Equal(7, stock!.Single(d => d.Date == Day.AddDays(21)).Booked);
    }
}
