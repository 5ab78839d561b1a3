using System.Text;
using System.Text.Json;
using Booking.Grains.Domain;
using Booking.Grains.Storage;

namespace Booking.Domain.Tests;

/// <summary>Facts survive a trip through JSON, both as System.Text.Json writes them by default and as the ledger does.</summary>
public class LedgerJsonTests
{
    private static readonly DateTimeOffset Now = T.At("2027-03-01T08:00+01:00");

    private static IEnumerable<CentreEvent> Facts()
    {
        yield return new CentreConfigured(T.Settings(closed: [T.Day("2027-03-03")]), T.Day("2026-09-02"));
        yield return new DeliveryRecorded(new Delivery("d1", "pfizer", T.Day("2027-03-01"), 12, DeliveryStatus.Forecast));
        yield return new PairBooked(new BookingRecord("R1", "identity", "check", "pfizer",
            [new Appointment(1, T.At("2027-03-02T09:00+01:00")), new Appointment(2, T.At("2027-03-30T09:00+02:00"))],
            Now, BookingStatus.Confirmed, 7, 21, 49));
        yield return new BookingCancelled("R1", Now);
    }

    public static TheoryData<string> Kinds => new(Facts().Select(f => f.Kind));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_fact_round_trips_with_its_kind_first(string kind)
    {
        var fact = Facts().Single(f => f.Kind == kind);

        var formats = new (Func<CentreEvent, string> Write, Func<string, CentreEvent> Read)[]
        {
            (f => JsonSerializer.Serialize<CentreEvent>(f), j => JsonSerializer.Deserialize<CentreEvent>(j)!),
            (f => Encoding.UTF8.GetString(LedgerJson.SerializeToUtf8(f)), j => LedgerJson.Deserialize(Encoding.UTF8.GetBytes(j))),
        };
        foreach (var (write, read) in formats)
        {
            var json = write(fact);
            Assert.StartsWith($"{{\"kind\":\"{kind}\"", json);
            Assert.DoesNotContain("\"Kind\"", json);
            var copy = read(json);
            Assert.Equal(fact.GetType(), copy.GetType());
            Assert.Equal(json, write(copy));
        }
    }

    [Fact]
    public void Offsets_survive_the_trip()
    {
        var booked = (PairBooked)Facts().Single(f => f is PairBooked);

        var copy = (PairBooked)LedgerJson.Deserialize(LedgerJson.SerializeToUtf8(booked));

        Assert.Equal(["2027-03-02T09:00:00+01:00", "2027-03-30T09:00:00+02:00"], T.Iso(copy.Booking.Appointments.Select(a => a.Start)));
        Assert.Equal((7, 21, 49), (copy.Booking.Number, copy.Booking.MinIntervalDays, copy.Booking.MaxIntervalDays));
    }
}
