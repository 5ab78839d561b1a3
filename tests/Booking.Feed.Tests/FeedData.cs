using Booking.Api.ReadModel;

namespace Booking.Feed.Tests;

/// <summary>
/// Known content at 23:30 UTC on 10 March 2027: already the 11th in Paris (UTC+1), still the 10th
/// in Cayenne (UTC-3), so "today" differs by centre.
/// </summary>
public static class FeedData
{
    public static readonly DateTimeOffset Now = new(2027, 3, 10, 23, 30, 0, TimeSpan.Zero);

    public static readonly TimeSpan Paris = TimeSpan.FromHours(1);
    public static readonly TimeSpan Cayenne = TimeSpan.FromHours(-3);

    public static DayAvailability Day(int day, TimeSpan offset, int seats, int firstHour = 9, int lastHour = 17) =>
        new()
        {
            Date = new DateOnly(2027, 3, day),
            FirstStart = new DateTimeOffset(2027, 3, day, firstHour, 0, 0, offset),
            LastEnd = new DateTimeOffset(2027, 3, day, lastHour, 0, 0, offset),
            Slots = seats == 0 ? 0 : Math.Max(1, seats / 2),
            Seats = seats,
        };

    public static CentreAvailability[] Centres() =>
    [
        new(new CentreListing("paris-15", "Centre Paris 15", "31 rue Péclet", "75015", "Paris", 48.8412, 2.3003, "Europe/Paris", ["pfizer", "moderna"]),
            new Dictionary<string, IReadOnlyList<DayAvailability>>
            {
                // The 10th is yesterday in Paris: left out.
                ["pfizer"] = [Day(10, Paris, 4), Day(11, Paris, 12), Day(12, Paris, 0)],
                ["moderna"] = [Day(13, Paris, 5)],
            }),
        new(new CentreListing("lyon-gerland", "Gerland", "353 avenue Jean Jaurès", "69007", "Lyon", 45.7275, 4.8324, "Europe/Paris", ["janssen", "sputnik"]),
            new Dictionary<string, IReadOnlyList<DayAvailability>>
            {
                ["janssen"] = [Day(11, Paris, 3)],
                // Not in the catalogue: no CVX code, so neither a Schedule nor Slots.
                ["sputnik"] = [Day(11, Paris, 9)],
            }),
        new(new CentreListing("cayenne", "Cayenne", "", "97300", "Cayenne", 4.9372, -52.326, "America/Cayenne", ["astrazeneca"]),
            new Dictionary<string, IReadOnlyList<DayAvailability>>
            {
                // The 10th is still today in Cayenne (until 03:00 UTC); the 9th is not.
                ["astrazeneca"] = [Day(9, Cayenne, 6), Day(10, Cayenne, 7, 8, 21)],
            }),
    ];

    public static DayAvailability Find(string centre, string vaccine, int day) =>
        Centres().Single(c => c.Centre.Id == centre).ByVaccine[vaccine].Single(d => d.Date.Day == day);
}
