namespace Booking.Grains.Domain;

/// <summary>A vaccine product and the rules a booking for it must follow.</summary>
public sealed record Vaccine(
    string Id,
    string Name,
    string Cvx,
    int DosesPerVial,
    int Injections,
    int MinIntervalDays,
    int MaxIntervalDays)
{
    public bool NeedsSecondDose => Injections >= 2;

    public bool IntervalAllows(DateOnly firstDose, DateOnly secondDose)
    {
        var days = secondDose.DayNumber - firstDose.DayNumber;
        return days >= MinIntervalDays && days <= MaxIntervalDays;
    }
}

/// <summary>The products a centre may offer. A rule change here applies to new bookings only,
/// because each booking is checked against the catalogue when it is made and keeps its slots.</summary>
public sealed class VaccineCatalog
{
    private readonly Dictionary<string, Vaccine> _byId;

    public VaccineCatalog(IEnumerable<Vaccine> vaccines) =>
        _byId = vaccines.ToDictionary(v => v.Id, StringComparer.Ordinal);

    public static VaccineCatalog Default { get; } = new(
    [
        new Vaccine("pfizer", "Pfizer-BioNTech (Comirnaty)", "208", 6, 2, 21, 49),
        new Vaccine("moderna", "Moderna (Spikevax)", "207", 10, 2, 28, 49),
        new Vaccine("astrazeneca", "AstraZeneca (Vaxzevria)", "210", 10, 2, 63, 84),
        new Vaccine("janssen", "Janssen", "212", 5, 1, 0, 0),
    ]);

    public IEnumerable<Vaccine> All => _byId.Values.OrderBy(v => v.Id, StringComparer.Ordinal);

    public bool TryGet(string id, out Vaccine vaccine) => _byId.TryGetValue(id, out vaccine!);

    public Vaccine this[string id] => _byId[id];
}
