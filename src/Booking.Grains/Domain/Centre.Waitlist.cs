namespace Booking.Grains.Domain;

/// <summary>An offer held for a waiting person.</summary>
public sealed record WaitlistOffer(WaitlistEntry Entry, string Reference, DateTimeOffset ExpiresAt);

public sealed partial class Centre
{
    // Waiting people in the order they will be served: postponed bookings first, then by arrival.
    private readonly List<WaitlistEntry> _waiting = [];
    private readonly Dictionary<string, WaitlistOffer> _offers = new(StringComparer.Ordinal);

    public IReadOnlyList<WaitlistEntry> Waiting => _waiting;

    public IReadOnlyCollection<WaitlistOffer> Offers => _offers.Values;

    public WaitlistOffer? FindOffer(string entryId) => _offers.GetValueOrDefault(entryId);

    public Decision<WaitlistJoined> DecideJoinWaitlist(WaitlistEntry entry)
    {
        if (Settings is null)
        {
            return new Refusal(RefusalReason.CentreNotFound, $"Centre '{Id}' does not exist.");
        }
        if (!_catalog.TryGet(entry.Vaccine, out var vaccine) || !Settings.Vaccines.Contains(vaccine.Id))
        {
            return Refusal.Invalid("vaccine", $"This centre does not offer '{entry.Vaccine}'.");
        }
        if (_activeByIdentity.ContainsKey(entry.IdentityKey))
        {
            return new Refusal(RefusalReason.AlreadyBooked, "This person already holds an active booking.");
        }
        if (_waiting.Any(w => w.IdentityKey == entry.IdentityKey))
        {
            return Refusal.Invalid("citizen", "This person is already on this centre's waitlist.");
        }
        return new WaitlistJoined(entry);
    }

    /// <summary>
    /// The next offer to make, if a waiting person can now be given a first dose (with its second
    /// dose) anywhere in the horizon: the first person in line for each vaccine is considered, in
    /// line order. Null when nobody can be served.
    /// </summary>
    public WaitlistOffered? DecideNextOffer(string reference, DateTimeOffset now, TimeSpan hold)
    {
        if (Settings is null)
        {
            return null;
        }
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var earliest = new List<FirstDoseSlot>(1);
        foreach (var entry in _waiting)
        {
            if (_offers.ContainsKey(entry.Id) || !tried.Add(entry.Vaccine) || !_catalog.TryGet(entry.Vaccine, out var vaccine)
                || !Settings.Vaccines.Contains(vaccine.Id))
            {
                continue;
            }
            var today = Calendar.LocalDate(now);
            // The earliest bookable slot only: the search stops at it instead of listing the horizon.
            earliest.Clear();
            FirstDoseSlots(vaccine.Id, today, today.AddDays(Settings.BookingHorizonDays), now, earliest, limit: 1);
            if (earliest.Count == 0 || !Calendar.TryFind(earliest[0].Start, out var first))
            {
                continue;
            }
            var slot = earliest[0];
            var appointments = new List<Appointment> { new(1, slot.Start) };
            if (vaccine.NeedsSecondDose)
            {
                var second = ChooseSecondDose(vaccine.MinIntervalDays, vaccine.MaxIntervalDays, _stock[vaccine.Id], first, null);
                if (second.Refusal is not null)
                {
                    continue;
                }
                appointments.Add(new Appointment(2, Calendar.StartOf(second.Slot)));
            }
            return new WaitlistOffered(entry.Id, reference, appointments, now, now + hold);
        }
        return null;
    }

    public IReadOnlyList<WaitlistOfferEnded> DecideExpiries(DateTimeOffset now) =>
        _offers.Values.Where(o => o.ExpiresAt <= now)
            .Select(o => new WaitlistOfferEnded(o.Entry.Id, OfferOutcome.Expired, now))
            .ToArray();

    public Decision<WaitlistOfferEnded> DecideAcceptOffer(string entryId, DateTimeOffset now)
    {
        if (!_offers.TryGetValue(entryId, out var offer) || offer.ExpiresAt <= now)
        {
            return new Refusal(RefusalReason.WaitlistEntryNotFound, "No open offer for this waitlist entry; it may have expired.");
        }
        if (_activeByIdentity.ContainsKey(offer.Entry.IdentityKey))
        {
            return new Refusal(RefusalReason.AlreadyBooked, "This person already holds an active booking.");
        }
        return new WaitlistOfferEnded(entryId, OfferOutcome.Accepted, now);
    }

    public Decision<WaitlistOfferEnded> DecideDeclineOffer(string entryId, DateTimeOffset now) =>
        _offers.ContainsKey(entryId)
            ? new WaitlistOfferEnded(entryId, OfferOutcome.Declined, now)
            : new Refusal(RefusalReason.WaitlistEntryNotFound, "No open offer for this waitlist entry.");

    private void Enqueue(WaitlistEntry entry)
    {
        var index = entry.Priority ? _waiting.FindLastIndex(w => w.Priority) + 1 : _waiting.Count;
        _waiting.Insert(index, entry);
    }

    private void ApplyOffered(WaitlistOffered offered)
    {
        var entry = _waiting.Single(w => w.Id == offered.EntryId);
        var vaccine = _catalog[entry.Vaccine];
        var held = new BookingRecord(offered.Reference, entry.IdentityKey, entry.BirthDateCheck, entry.Vaccine, offered.Appointments,
            offered.At, BookingStatus.Offered, _bookings.Count + 1,
            vaccine.NeedsSecondDose ? vaccine.MinIntervalDays : 0, vaccine.NeedsSecondDose ? vaccine.MaxIntervalDays : 0,
            null, entry.ProtectedContact, entry.Initials);
        _bookings[held.Reference] = held;
        Hold(held, +1);
        _offers[entry.Id] = new WaitlistOffer(entry, held.Reference, offered.ExpiresAt);
    }

    private void ApplyOfferEnded(WaitlistOfferEnded ended)
    {
        var offer = _offers[ended.EntryId];
        _offers.Remove(ended.EntryId);
        _waiting.RemoveAll(w => w.Id == ended.EntryId);
        var held = _bookings[offer.Reference];
        if (ended.Outcome == OfferOutcome.Accepted)
        {
            _bookings[held.Reference] = held with { Status = BookingStatus.Confirmed };
            _activeByIdentity[held.IdentityKey] = held.Reference;
            // The new booking replaces the one a supply cut postponed.
            if (offer.Entry.PostponedReference is { } replaced)
            {
                _bookings[replaced] = _bookings[replaced] with { Status = BookingStatus.Cancelled };
            }
        }
        else
        {
            Hold(held, -1);
            _bookings[held.Reference] = held with { Status = BookingStatus.Cancelled };
        }
    }
}
