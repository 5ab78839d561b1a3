namespace Booking.Api.ReadModel;

/// <summary>One day of first-dose availability for one vaccine at one centre: the bookable slots
/// (free seat and, for two-dose vaccines, a second dose that can go with them, I6).
/// Properties rather than constructor parameters: the read model reads thousands of these a second,
/// and the serializer passes constructor arguments boxed.</summary>
public sealed record DayAvailability
{
    public required DateOnly Date { get; init; }

    public required DateTimeOffset FirstStart { get; init; }

    public required DateTimeOffset LastEnd { get; init; }

    public required int Slots { get; init; }

    public required int Seats { get; init; }
}

/// <summary>A centre as the directory knows it.</summary>
public sealed record CentreListing(
    string Id, string Name, string Address, string Postcode, string City, double Latitude, double Longitude, string TimeZone, IReadOnlyList<string> Vaccines);

/// <summary>What a silo knows of a centre's availability, a few seconds old at most.</summary>
public sealed record CentreAvailability(CentreListing Centre, IReadOnlyDictionary<string, IReadOnlyList<DayAvailability>> ByVaccine)
{
    /// <summary>Found once per read-model snapshot rather than once per search result. Settings
    /// refuse unknown zones; one the system no longer knows counts days in UTC, as the feed does.</summary>
    private readonly TimeZoneInfo _zone = TimeZoneInfo.TryFindSystemTimeZoneById(Centre.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>
    /// What a search shows of the centre at <paramref name="now"/>, for one vaccine or all: the
    /// next first-dose slot that has not started, and the bookable slots of the seven days from the
    /// centre's own today. A day whose last slot has ended counts for neither.
    /// </summary>
    public (DateTimeOffset? NextFirstDoseSlot, int FreeSlots7Days) FirstDoseOutlook(string? vaccine, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, _zone).DateTime);
        var week = today.AddDays(7);
        DateTimeOffset? next = null;
        var free = 0;
        foreach (var (offered, days) in ByVaccine)
        {
            if (vaccine is not null && offered != vaccine)
            {
                continue;
            }
            foreach (var day in days)
            {
                if (day.Date < today || day.LastEnd <= now)
                {
                    continue;
                }
                if (day.FirstStart > now && (next is null || day.FirstStart < next.Value))
                {
                    next = day.FirstStart;
                }
                if (day.Date < week)
                {
                    free += day.Slots;
                }
            }
        }
        return (next, free);
    }
}

/// <summary>
/// The per-silo availability read model: every centre's listing and day-by-day first-dose
/// availability, refreshed from what the centre grains publish. Searches and the public feed read
/// it; nothing on the booking path does.
/// </summary>
public interface IAvailabilityReadModel
{
    /// <summary>Changes whenever the content changes: usable as an ETag.</summary>
    long Version { get; }

    IReadOnlyCollection<CentreAvailability> Centres { get; }

    /// <summary>The same centres, arranged for searches by distance.</summary>
    CentresByPlace Places { get; }
}
