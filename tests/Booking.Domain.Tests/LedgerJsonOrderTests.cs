using Booking.Grains.Domain;
using Booking.Grains.Storage;

namespace Booking.Domain.Tests;

/// <summary>PostgreSQL's jsonb gives keys back shortest first: a fact must read back whatever the key order.</summary>
public sealed class LedgerJsonOrderTests
{
    [Fact]
    public void A_fact_whose_kind_is_not_the_first_key_reads_back()
    {
        var fact = LedgerJson.Deserialize("""{"at": "2027-03-01T09:00:00+01:00", "kind": "booking-cancelled", "reference": "ABCDEFGHJK"}"""u8);

        Assert.Equal(new BookingCancelled("ABCDEFGHJK", new DateTimeOffset(2027, 3, 1, 9, 0, 0, TimeSpan.FromHours(1))), fact);
    }
}
