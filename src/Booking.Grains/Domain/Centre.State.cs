namespace Booking.Grains.Domain;

public sealed partial class Centre
{
    public void Apply(CentreEvent fact)
    {
        // Listings kept for this version are served from other threads until they see the new number.
        Volatile.Write(ref _version, _version + 1);
        switch (fact)
        {
            case CentreConfigured c:
                ApplyConfigured(c);
                break;
            case DeliveryRecorded d:
                _deliveries[d.Delivery.Id] = d.Delivery;
                AddUsable(d.Delivery, +1);
                break;
            case DeliveryChanged d:
                AddUsable(_deliveries[d.Delivery.Id], -1);
                _deliveries[d.Delivery.Id] = d.Delivery;
                AddUsable(d.Delivery, +1);
                foreach (var reference in d.Postponed)
                {
                    if (_bookings[reference].Status == BookingStatus.Offered)
                    {
                        WithdrawOffer(_bookings[reference]);
                    }
                    else
                    {
                        Postpone(_bookings[reference], d.At);
                    }
                }
                break;
            case PairBooked b:
                _bookings[b.Booking.Reference] = b.Booking;
                _activeByIdentity[b.Booking.IdentityKey] = b.Booking.Reference;
                Hold(b.Booking, +1);
                break;
            case BookingRescheduled r:
                var moved = Release(_bookings[r.Reference], givenBefore: null) with { Appointments = r.Appointments, Status = BookingStatus.Confirmed };
                _bookings[r.Reference] = moved;
                _activeByIdentity[moved.IdentityKey] = moved.Reference;
                Hold(moved, +1);
                break;
            case BookingCancelled c:
                var cancelled = Release(_bookings[c.Reference], givenBefore: c.At) with { Status = BookingStatus.Cancelled };
                _bookings[c.Reference] = cancelled;
                _activeByIdentity.Remove(cancelled.IdentityKey);
                break;
            case WaitlistJoined w:
                Enqueue(w.Entry);
                break;
            case WaitlistOffered o:
                ApplyOffered(o);
                break;
            case WaitlistOfferEnded e:
                ApplyOfferEnded(e);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fact), fact.Kind, "Unknown centre fact.");
        }
    }

    /// <summary>Confirmed bookings and open offers take seats and doses; postponed and cancelled ones do not.</summary>
    public static bool HoldsPlace(BookingRecord b) => b.Status is BookingStatus.Confirmed or BookingStatus.Offered;

    private void ApplyConfigured(CentreConfigured c)
    {
        Settings = c.Settings;
        _stockOrigin = c.StockOrigin;
        _calendar = new CentreCalendar(c.Settings);
        // A new calendar may place existing appointments differently, and the forecast rule may
        // have changed: recount seats and stock from the bookings and deliveries themselves.
        Recount();
    }

    /// <summary>
    /// Takes the state a snapshot holds (<see cref="CentreSnapshot"/>), in the order it was
    /// written, and counts seats and stock from it, as a change of settings does.
    /// </summary>
    internal void Restore(
        CentreConfigured configured, long version, IEnumerable<Delivery> deliveries, IEnumerable<BookingRecord> bookings,
        IEnumerable<KeyValuePair<string, string>> activeByIdentity, IEnumerable<WaitlistEntry> waiting, IEnumerable<WaitlistOffer> offers,
        IEnumerable<string> stockedVaccines)
    {
        if (_version != 0)
        {
            throw new InvalidOperationException("Only a new centre is restored from a snapshot.");
        }
        foreach (var delivery in deliveries)
        {
            _deliveries.Add(delivery.Id, delivery);
        }
        foreach (var booking in bookings)
        {
            _bookings.Add(booking.Reference, booking);
        }
        foreach (var (identityKey, reference) in activeByIdentity)
        {
            _activeByIdentity.Add(identityKey, reference);
        }
        _waiting.AddRange(waiting);
        foreach (var offer in offers)
        {
            _offers.Add(offer.Entry.Id, offer);
        }
        ApplyConfigured(configured);
        // A vaccine whose bookings and deliveries all went away keeps its (empty) stock timeline.
        foreach (var vaccine in stockedVaccines)
        {
            TimelineFor(vaccine);
        }
        _version = version;
    }

    private void Recount()
    {
        _seats.Clear();
        _stock.Clear();
        foreach (var delivery in _deliveries.Values)
        {
            AddUsable(delivery, +1);
        }
        foreach (var booking in _bookings.Values)
        {
            HoldAppointments(booking.Vaccine, booking.Given ?? [], +1);
            if (HoldsPlace(booking))
            {
                Hold(booking, +1);
            }
        }
    }

    /// <summary>The booking loses its seats and doses and its holder goes first on the waitlist.</summary>
    private void Postpone(BookingRecord booking, DateTimeOffset at)
    {
        var postponed = Release(booking, givenBefore: at) with { Status = BookingStatus.Postponed };
        _bookings[booking.Reference] = postponed;
        _activeByIdentity.Remove(booking.IdentityKey);
        Enqueue(new WaitlistEntry(PostponedEntryId(booking.Reference), booking.Vaccine, booking.IdentityKey, booking.BirthDateCheck, at,
            booking.Reference, booking.ProtectedContact, booking.Initials));
    }

    public static string PostponedEntryId(string reference) => "wl-" + reference.ToLowerInvariant();

    /// <summary>An offer caught by a supply cut ends: the person keeps their place in line.</summary>
    private void WithdrawOffer(BookingRecord held)
    {
        Hold(held, -1);
        _bookings[held.Reference] = held with { Status = BookingStatus.Cancelled };
        _offers.Remove(_offers.Single(o => o.Value.Reference == held.Reference).Key);
    }

    /// <summary>
    /// Gives back what the booking holds, except the injections already given before
    /// <paramref name="givenBefore"/> (null: nothing counts as given), which keep their dose and
    /// seat for good; and drops the waitlist place a postponement gave the booking.
    /// </summary>
    private BookingRecord Release(BookingRecord booking, DateTimeOffset? givenBefore)
    {
        if (HoldsPlace(booking))
        {
            Hold(booking, -1);
            var given = booking.Appointments.Where(a => a.Start <= givenBefore).Except(booking.Given ?? []).ToArray();
            if (given.Length > 0)
            {
                HoldAppointments(booking.Vaccine, given, +1);
                booking = booking with { Given = [.. booking.Given ?? [], .. given] };
            }
        }
        if (booking.Status == BookingStatus.Postponed)
        {
            var entryId = PostponedEntryId(booking.Reference);
            if (!_offers.ContainsKey(entryId))
            {
                _waiting.RemoveAll(w => w.Id == entryId);
            }
        }
        return booking;
    }

    private bool IsUsable(Delivery d) =>
        d.Status == DeliveryStatus.Confirmed || Settings?.BookForecastDoses == true;

    private void AddUsable(Delivery delivery, int sign)
    {
        if (IsUsable(delivery))
        {
            TimelineFor(delivery.Vaccine).AddDelivered(delivery.Date, sign * delivery.Doses);
        }
    }

    private DoseTimeline TimelineFor(string vaccine)
    {
        if (!_stock.TryGetValue(vaccine, out var timeline))
        {
            timeline = new DoseTimeline(_stockOrigin);
            _stock[vaccine] = timeline;
        }
        return timeline;
    }

    /// <summary>Takes (+1) or gives back (-1) the seats and doses of a booking's appointments, but for
    /// those already given, which hold theirs for good.</summary>
    private void Hold(BookingRecord booking, int delta) =>
        HoldAppointments(booking.Vaccine, booking.Given is { } given ? booking.Appointments.Except(given) : booking.Appointments, delta);

    private void HoldAppointments(string vaccine, IEnumerable<Appointment> appointments, int delta)
    {
        var stock = TimelineFor(vaccine);
        foreach (var appointment in appointments)
        {
            stock.AddBooked(Calendar.LocalDate(appointment.Start), delta);
            if (Calendar.TryFind(appointment.Start, out var slot))
            {
                if (!_seats.TryGetValue(slot.Date.DayNumber, out var seats))
                {
                    seats = new DaySeats(Calendar.Day(slot.Date).Count);
                    _seats[slot.Date.DayNumber] = seats;
                }
                seats.PerSlot[slot.Index] += delta;
                seats.Total += delta;
            }
        }
    }

    /// <summary>Seats taken in each slot of one day, with their total so that "is anything free
    /// that day" costs one comparison.</summary>
    private sealed class DaySeats(int slots)
    {
        public int[] PerSlot { get; } = new int[slots];

        public int Total { get; set; }
    }
}
