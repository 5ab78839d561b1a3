namespace Booking.Grains.Domain;

public static class CentreSettingsRules
{
    /// <summary>Field errors of a centre's settings, keyed by the field's JSON name; empty when valid.</summary>
    public static IReadOnlyDictionary<string, string> Validate(this CentreSettings s, VaccineCatalog catalog)
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(s.Name))
        {
            errors["name"] = "A name is required.";
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(s.TimeZone ?? "", out _))
        {
            errors["timeZone"] = "Not a known IANA time zone.";
        }
        if (s.Lines is < 1 or > 200)
        {
            errors["lines"] = "Between 1 and 200 vaccination lines.";
        }
        if (s.SlotMinutes is < 5 or > 240)
        {
            errors["slotMinutes"] = "Between 5 and 240 minutes.";
        }
        if (s.BookingHorizonDays is < 1 or > 365)
        {
            errors["bookingHorizonDays"] = "Between 1 and 365 days.";
        }
        if (s.Latitude is < -90 or > 90 || s.Longitude is < -180 or > 180)
        {
            errors["latitude"] = "Latitude -90..90 and longitude -180..180.";
        }
        if (s.OpeningHours.Any(h => h.Close <= h.Open))
        {
            errors["openingHours"] = "Each opening period must close after it opens.";
        }
        else if (s.OpeningHours.GroupBy(h => h.Day).Any(g => Overlap(g.OrderBy(h => h.Open).ToList())))
        {
            errors["openingHours"] = "Opening periods of the same day must not overlap.";
        }
        if (s.Vaccines.Count == 0)
        {
            errors["vaccines"] = "At least one vaccine.";
        }
        else if (s.Vaccines.FirstOrDefault(v => !catalog.TryGet(v, out _)) is { } unknown)
        {
            errors["vaccines"] = $"Unknown vaccine '{unknown}'.";
        }
        return errors;
    }

    private static bool Overlap(List<OpeningHours> sorted) =>
        sorted.Zip(sorted.Skip(1)).Any(p => p.Second.Open < p.First.Close);
}
