using System.Net;

namespace Booking.Api.Tests;

/// <summary>How the second dose is chosen (I3): the engine's pick with <c>secondDose: null</c>, and
/// an explicit choice kept exactly.</summary>
public sealed class SecondDoseTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const int PfizerMinDays = 21;

    [Fact]
    public async Task Engine_picks_the_minimum_interval_at_the_same_time_of_day()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(5);
        var first = TestData.At(day, 14, 40);

        var booking = await portal.BookOkAsync(BookingBody.For(centreId, first));

        Assert.Equal("confirmed", booking.Status);
        Assert.Equal("pfizer", booking.Vaccine);
        Assert.Equal(centreId, booking.CentreId);
        Assert.Equal([1, 2], booking.Appointments.Select(a => a.Dose));
        Assert.All(booking.Appointments, a => Assert.Equal(centreId, a.CentreId));
        Assert.Equal(first, booking.First);
        Assert.Equal(TestData.At(day.AddDays(PfizerMinDays), 14, 40), booking.Second);
        // Written with the centre's offset of that day.
        Assert.Equal(TestData.Zone.GetUtcOffset(booking.Second), booking.Second.Offset);
        Assert.Equal(TestData.Zone.GetUtcOffset(booking.First), booking.First.Offset);
    }

    [Fact]
    public async Task Engine_never_picks_before_the_minimum_interval_and_takes_the_nearest_free_time()
    {
        // One line. Day+21 at 09:00 is taken by someone else's second dose, so the pick for a first
        // dose at 09:00 stays on day+21 (the minimum interval) at the nearest free time, the earlier
        // one on a tie: 08:50.
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(6);
        var target = TestData.At(day.AddDays(PfizerMinDays), 9);
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day.AddDays(-1), 9), target));

        var booking = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 9)));

        Assert.Equal(TestData.At(day.AddDays(PfizerMinDays), 8, 50), booking.Second);
    }

    [Fact]
    public async Task Engine_moves_to_the_next_day_when_the_minimum_interval_day_is_full()
    {
        // Open 09:00–09:20 (two slots), one line. Both day+21 slots are held by earlier second
        // doses, so the pick is day+22 at the same time.
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 1, Open: "09:00", Close: "09:20"), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(7);
        var blocked = day.AddDays(PfizerMinDays);
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day.AddDays(-1), 9), TestData.At(blocked, 9)));
        await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day.AddDays(-1), 9, 10), TestData.At(blocked, 9, 10)));

        var booking = await portal.BookOkAsync(BookingBody.For(centreId, TestData.At(day, 9, 10)));

        Assert.Equal(TestData.At(day.AddDays(PfizerMinDays + 1), 9, 10), booking.Second);
    }

    [Fact]
    public async Task Explicit_second_dose_is_kept_exactly()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 3), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(5);
        var first = TestData.At(day, 10, 20);
        var second = TestData.At(day.AddDays(34), 16, 50);

        var booking = await portal.BookOkAsync(BookingBody.For(centreId, first, second));

        Assert.Equal([new AppointmentDto(1, centreId, first), new AppointmentDto(2, centreId, second)], booking.Appointments);
        Assert.Equal(first.Offset, booking.First.Offset);
        Assert.Equal(second.Offset, booking.Second.Offset);
        var stored = await api.Db.LedgerAsync(centreId);
        Assert.Equal("pair-booked", stored[^1].Kind);
        Assert.Contains(booking.Reference, stored[^1].Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explicit_second_dose_in_utc_is_the_same_instant()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 3), DeliverySpec.Today(100));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(5);
        var first = TestData.At(day, 10, 20);
        var second = TestData.At(day.AddDays(49), 8);
        var body = BookingBody.For(centreId, first, second) with
        {
            SecondDose = second.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };

        using var response = await portal.BookAsync(body);
        var booking = await Expect.BookingAsync(response, HttpStatusCode.Created);

        Assert.Equal(second, booking.Second);
        Assert.Equal(TestData.Zone.GetUtcOffset(second), booking.Second.Offset);
    }

    [Fact]
    public async Task Single_dose_vaccine_books_one_appointment_and_takes_no_second_dose()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 2), DeliverySpec.Today(10, "janssen"));
        using var portal = api.Portal();
        var day = TestData.Today.AddDays(5);
        var first = TestData.At(day, 11);

        var booking = await portal.BookOkAsync(BookingBody.For(centreId, first, vaccine: "janssen"));
        Assert.Equal([new AppointmentDto(1, centreId, first)], booking.Appointments);
        Assert.Equal("janssen", booking.Vaccine);

        using var withSecond = await portal.BookAsync(BookingBody.For(centreId, first, TestData.At(day.AddDays(30), 11), vaccine: "janssen"));
        await Expect.ValidationAsync(withSecond, "secondDose");
    }
}
