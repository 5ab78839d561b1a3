namespace Booking.Grains.Domain;

public sealed record OpeningHours(DayOfWeek Day, TimeOnly Open, TimeOnly Close);

/// <summary>How a centre is set up by its manager. Slot capacity is the number of vaccination
/// lines, shared by every vaccine the centre offers.</summary>
public sealed record CentreSettings(
    string Name,
    string Address,
    string Postcode,
    string City,
    double Latitude,
    double Longitude,
    string TimeZone,
    int Lines,
    int SlotMinutes,
    IReadOnlyList<OpeningHours> OpeningHours,
    IReadOnlyList<DateOnly> ClosedDates,
    IReadOnlyList<string> Vaccines,
    int BookingHorizonDays = 28,
    bool BookForecastDoses = false);
