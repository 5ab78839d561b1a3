using System.Text;
using System.Text.Json;
using Booking.Grains.Centres;
using Booking.Grains.Domain;
using Booking.Grains.Storage;

namespace Booking.Domain.Tests;

/// <summary><see cref="AvailabilityDocument"/> writes by hand what the serializer writes for the
/// centre's <see cref="Centre.DailyAvailability(string, DateTimeOffset)"/>: the read model parses it.</summary>
public class AvailabilityDocumentTests
{
    [Theory]
    [InlineData("Europe/Paris", "2027-03-01T09:30+01:00")]
    [InlineData("America/Cayenne", "2027-03-01T09:30-03:00")]
    [InlineData("Indian/Reunion", "2027-03-01T23:30+04:00")]
    public void The_document_is_what_the_serializer_writes_for_the_days(string zone, string at)
    {
        var now = T.At(at);
        var today = T.Day("2027-03-01");
        var centre = T.Configured(T.Settings(zone: zone, lines: 2, vaccines: ["pfizer", "janssen"]), today);
        T.Deliver(centre, "pfizer", today, 100);
        T.Deliver(centre, "janssen", today, 7);

        foreach (var vaccine in new[] { "pfizer", "janssen", "moderna" })
        {
            var expected = JsonSerializer.Serialize(centre.DailyAvailability(vaccine, now), LedgerJson.Options);

            Assert.Equal(expected, Encoding.UTF8.GetString(AvailabilityDocument.Write(centre, vaccine, now)));
        }
        Assert.Equal("[]"u8.ToArray(), AvailabilityDocument.Write(centre, "moderna", now));
        Assert.StartsWith("[{\"date\":\"2027-03-0", Encoding.UTF8.GetString(AvailabilityDocument.Write(centre, "pfizer", now)), StringComparison.Ordinal);
    }
}
