using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Domain;
using Booking.Grains.Notifications;
using Booking.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IO;
using Npgsql;
using Orleans.Concurrency;

namespace Booking.Grains.Centres;

/// <summary>
/// The single writer of one centre. Each command decides synchronously on the in-memory
/// <see cref="Centre"/> (no await between reading availability and taking it), applies the fact so
/// that the next decision sees it, then awaits only the group commit of its ledger row. The grain
/// is reentrant so that many callers wait on commits while new decisions go on; a caller is told
/// "confirmed" only once its row is durable. If a commit fails, the memory no longer matches the
/// ledger: the activation refuses further work and is rebuilt from the ledger on the next call.
/// </summary>
[Reentrant]
public sealed partial class CentreGrain(
    ILedgerWriter writer,
    LedgerStore store,
    TimeProvider time,
    IOptions<CentreOptions> options,
    LocalListings localListings,
    ILogger<CentreGrain> logger) : Grain, ICentreGrain
{
    /// <summary>The fewest facts between two snapshots. Most centres of a national campaign hold a few
    /// hundred facts; from this many on they have a snapshot, so that a restart, when every centre
    /// activates at once, reads each one's compact state instead of parsing its ledger again.</summary>
    private const int SnapshotFloor = 200;

    private readonly Guid _activation = Guid.NewGuid();
    private readonly HashSet<string> _uncommitted = new(StringComparer.Ordinal);
    private readonly SlotListingCache _listings = new(options.Value.ListingLag);
    private Centre _centre = null!;
    private long _seq;
    private long _snapshotSeq;
    private Task _snapshotSaving = Task.CompletedTask;
    private bool _broken;
    private IGrainTimer? _expiryTimer;
    private IGrainTimer? _publishTimer;
    private bool _availabilityChanged;

    private string Id => this.GetPrimaryKeyString();

    /// <summary>Rebuilds the centre from its latest snapshot and the facts after it (all its facts when it has none).</summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _centre = new Centre(Id, VaccineCatalog.Default);
        var (snapshot, facts) = await store.ReadCentreAsync(Id, CentreSnapshot.Format);
        if (snapshot is not null)
        {
            try
            {
                _centre = CentreSnapshot.Read(Id, VaccineCatalog.Default, snapshot.Payload);
                _seq = snapshot.Seq;
            }
            catch (InvalidDataException ex)
            {
                LogSnapshotUnreadable(Id, snapshot.Seq, ex);
                facts = await store.ReadFactsAsync(Id);
            }
        }
        foreach (var (seq, payload) in facts)
        {
            _centre.Apply(LedgerJson.Deserialize(payload));
            _seq = seq;
        }
        // Counted from here: after a restart every centre activates at once, and snapshots taken
        // at their first new facts would all fall in that moment.
        _snapshotSeq = _seq;
        WatchOffers();
        localListings.Add(Id, _listings);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        localListings.Withdraw(Id, _listings);
        return Task.CompletedTask;
    }

    // ---- set-up and stock --------------------------------------------------------------------

    public async Task<Result<CentreInfo>> Configure(CentreDefinition definition)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        var created = !_centre.Exists;
        var decision = _centre.DecideConfigure(definition.ToSettings(), DateOnly.FromDateTime(now.UtcDateTime));
        if (decision.Refusal is { } refusal)
        {
            return Result<CentreInfo>.Refused(refusal.ToProblem());
        }
        var s = definition;
        await Record(decision.Fact!, now, a => a with
        {
            Directory = new CentreDirectoryRow(Id, s.Name, s.Address, s.Postcode, s.City, s.Latitude, s.Longitude, s.TimeZone, s.Vaccines.ToArray(), now),
        });
        return Result<CentreInfo>.Ok(new CentreInfo(Id, definition, created));
    }

    public Task<CentreInfo?> Describe() =>
        Task.FromResult(_centre.Settings is { } s ? new CentreInfo(Id, s.ToDefinition(), false) : null);

    public async Task<Result<DeliveryInfo>> AddDelivery(DeliveryInfo delivery)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        var status = Enum.Parse<DeliveryStatus>(delivery.Status, ignoreCase: true);
        var id = string.IsNullOrEmpty(delivery.DeliveryId) ? "dl-" + BookingReference.New().ToLowerInvariant() : delivery.DeliveryId;
        var decision = _centre.DecideDelivery(new Delivery(id, delivery.Vaccine, delivery.Date, delivery.Doses, status));
        if (decision.Refusal is { } refusal)
        {
            return Result<DeliveryInfo>.Refused(refusal.ToProblem());
        }
        await Record(decision.Fact!, now);
        await OfferFreedPlaces();
        return Result<DeliveryInfo>.Ok(decision.Fact!.Delivery.ToInfo());
    }

    public Task<IReadOnlyList<DeliveryInfo>> Deliveries()
    {
        IReadOnlyList<DeliveryInfo> deliveries = _centre.Deliveries.Values
            .OrderBy(d => d.Date).ThenBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => d.ToInfo()).ToArray();
        return Task.FromResult(deliveries);
    }

    public async Task<Result<SupplyCutInfo>> ChangeDelivery(string deliveryId, DeliveryChange change)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        if (!_centre.Deliveries.TryGetValue(deliveryId, out var current))
        {
            return Result<SupplyCutInfo>.Refused(new Problem(ProblemKind.DeliveryNotFound, $"Delivery '{deliveryId}' does not exist."));
        }
        var changed = current with
        {
            Date = change.Date ?? current.Date,
            Doses = change.Doses ?? current.Doses,
            Status = change.Status is { } status ? Enum.Parse<DeliveryStatus>(status, ignoreCase: true) : current.Status,
        };
        var decision = _centre.DecideChangeDelivery(changed, change.Apply, now);
        if (decision.Refusal is { } refusal)
        {
            return Result<SupplyCutInfo>.Refused(refusal.Plan is { } preview
                ? new Problem(ProblemKind.SupplyShortfall, refusal.Detail, null, preview.ToInfo(changed, now))
                : refusal.ToProblem());
        }
        var fact = decision.Fact!;
        var postponed = fact.Postponed.Select(r => _centre.FindBooking(r)!).ToArray();
        var plan = new SupplyCutPlan(postponed, _centre.Bookings.Count(b => b.Vaccine == changed.Vaccine && Centre.HoldsPlace(b)) - postponed.Length);
        var released = postponed.Where(b => b.Status == BookingStatus.Confirmed).ToArray();
        var withdrawn = postponed.Where(b => b.Status == BookingStatus.Offered).ToArray();
        await Record(fact, now, a => a with
        {
            // Withdrawn offers were never claimed; postponed bookings free their holder to book again.
            CitizenReleases = released.Select(b => new CitizenBookingRow(b.IdentityKey, b.Reference, Id)).ToArray(),
            Sms = Outbox(now, [.. released.Select(Messages.Postponed), .. withdrawn.Select(Messages.OfferWithdrawn)]),
        });
        await OfferFreedPlaces();
        return Result<SupplyCutInfo>.Ok(plan.ToInfo(changed, now));
    }

    public Task<IReadOnlyList<DayAppointment>> Appointments(DateOnly date)
    {
        IReadOnlyList<DayAppointment> list = _centre.Exists
            ? _centre.AppointmentsOn(date)
                .Where(x => !_uncommitted.Contains(x.Booking.Reference))
                .Select(x => new DayAppointment(x.Booking.Reference, x.Appointment.Dose, x.Booking.Vaccine, x.Appointment.Start,
                    x.Booking.Status.ToString().ToLowerInvariant(), x.Booking.Initials))
                .ToArray()
            : [];
        return Task.FromResult(list);
    }

    public Task<IReadOnlyList<StockDayInfo>> StockReport(string vaccine, DateOnly from, DateOnly to)
    {
        IReadOnlyList<StockDayInfo> days = _centre.StockReport(vaccine, from, to)
            .Select(d => new StockDayInfo(d.Date, d.Delivered, d.Booked, d.Available, d.VialsToOpen, d.DosesWasted))
            .ToArray();
        return Task.FromResult(days);
    }

    // ---- bookings ----------------------------------------------------------------------------

    public async Task<Result<BookingInfo>> BookPair(BookPairCommand command)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        var reference = NewReference();
        var citizen = command.Citizen;
        var decision = command.FirstDoseGivenOn is { } givenOn
            ? _centre.DecideSecondDose(
                new SecondDoseRequest(reference, command.Vaccine, givenOn, command.SecondDose, citizen.IdentityKey, citizen.BirthDateCheck,
                    citizen.ProtectedContact, citizen.Initials), now)
            : _centre.DecideBook(
                new PairRequest(reference, command.Vaccine, command.FirstDose!.Value, command.SecondDose, citizen.IdentityKey, citizen.BirthDateCheck,
                    citizen.ProtectedContact, citizen.Initials), now);
        if (decision.Refusal is { } refusal)
        {
            return Result<BookingInfo>.Refused(refusal.ToProblem());
        }
        var booking = decision.Fact!.Booking.ToInfo(Id);
        var answer = command.Idempotency is { } tag
            ? new IdempotencyRow(tag.Scope, tag.Key, tag.RequestHash, 201, JsonSerializer.SerializeToUtf8Bytes(booking, LedgerJson.Options), now)
            : null;
        await RecordBooking(reference, decision.Fact!, now, citizen.IdentityKey, answer, Messages.Confirmed(decision.Fact!.Booking));
        return Result<BookingInfo>.Ok(booking);
    }

    public async Task<Result<BookingInfo>> Reschedule(string reference, string birthDateCheck, DateTimeOffset? firstDose, DateTimeOffset? secondDose)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        if (Committed(reference, birthDateCheck) is not { } booking)
        {
            return Result<BookingInfo>.Refused(new Problem(ProblemKind.BookingNotFound, "No such booking."));
        }
        var decision = _centre.DecideReschedule(reference, firstDose, secondDose, now);
        if (decision.Refusal is { } refusal)
        {
            return Result<BookingInfo>.Refused(refusal.ToProblem());
        }
        // A postponed booking that gets places again is the identity's active booking again.
        var reclaim = booking.Status == BookingStatus.Postponed ? new CitizenBookingRow(booking.IdentityKey, reference, Id) : null;
        await Record(decision.Fact!, now, a => a with
        {
            CitizenClaim = reclaim,
            Sms = Outbox(now, Messages.Rescheduled(_centre.FindBooking(reference)!)),
        });
        await OfferFreedPlaces();
        return Result<BookingInfo>.Ok(_centre.FindBooking(reference)!.ToInfo(Id));
    }

    public async Task<Result<BookingInfo>> Cancel(string reference, string birthDateCheck)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        if (Committed(reference, birthDateCheck) is not { } booking)
        {
            return Result<BookingInfo>.Refused(new Problem(ProblemKind.BookingNotFound, "No such booking."));
        }
        var decision = _centre.DecideCancel(reference, now);
        if (decision.Refusal is { } refusal)
        {
            return Result<BookingInfo>.Refused(refusal.ToProblem());
        }
        await Record(decision.Fact!, now, a => a with
        {
            CitizenReleases = [new CitizenBookingRow(booking.IdentityKey, reference, Id)],
            Sms = Outbox(now, Messages.Cancelled(booking)),
        });
        await OfferFreedPlaces();
        return Result<BookingInfo>.Ok(_centre.FindBooking(reference)!.ToInfo(Id));
    }

    public Task<BookingInfo?> FindBooking(string reference, string birthDateCheck) =>
        Task.FromResult(Committed(reference, birthDateCheck)?.ToInfo(Id));

    public Task<SlotListing?> FirstDoseSlots(string vaccine, DateOnly from, DateOnly to) =>
        Task.FromResult(_centre.Exists ? _listings.Get(_centre, vaccine, from, to, time.GetUtcNow()) : null);

    public Task<IReadOnlyList<SlotInfo>?> SecondDoseSlots(string vaccine, DateTimeOffset firstDose)
    {
        IReadOnlyList<SlotInfo>? slots = _centre.Exists
            ? _centre.SecondDoseSlots(vaccine, firstDose).Select(s => new SlotInfo(s.Start, s.Remaining, null, null)).ToArray()
            : null;
        return Task.FromResult(slots);
    }

    // ---- waitlist ----------------------------------------------------------------------------

    public async Task<Result<WaitlistInfo>> JoinWaitlist(string vaccine, CitizenKeys citizen)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        var entry = new WaitlistEntry("wl-" + BookingReference.New().ToLowerInvariant(), vaccine, citizen.IdentityKey, citizen.BirthDateCheck, now,
            null, citizen.ProtectedContact, citizen.Initials);
        var decision = _centre.DecideJoinWaitlist(entry);
        if (decision.Refusal is { } refusal)
        {
            return Result<WaitlistInfo>.Refused(refusal.ToProblem());
        }
        await Record(decision.Fact!, now);
        await OfferFreedPlaces();
        return Result<WaitlistInfo>.Ok(WaitlistView(entry));
    }

    public Task<WaitlistInfo?> FindWaitlistEntry(string entryId, string birthDateCheck)
    {
        var entry = _centre.Waiting.FirstOrDefault(w => w.Id == entryId && SameCheck(w.BirthDateCheck, birthDateCheck));
        return Task.FromResult(entry is null ? null : WaitlistView(entry));
    }

    public Task<string?> OfferHolder(string entryId, string birthDateCheck) =>
        Task.FromResult(_centre.FindOffer(entryId) is { } offer && SameCheck(offer.Entry.BirthDateCheck, birthDateCheck)
            ? offer.Entry.IdentityKey
            : null);

    public async Task<Result<BookingInfo>> AcceptOffer(string entryId, string birthDateCheck)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        if (_centre.FindOffer(entryId) is not { } offer || !SameCheck(offer.Entry.BirthDateCheck, birthDateCheck))
        {
            return Result<BookingInfo>.Refused(new Problem(ProblemKind.WaitlistEntryNotFound, "No open offer for this waitlist entry."));
        }
        var decision = _centre.DecideAcceptOffer(entryId, now);
        if (decision.Refusal is { } refusal)
        {
            return Result<BookingInfo>.Refused(refusal.ToProblem());
        }
        var held = _centre.FindBooking(offer.Reference)!;
        await RecordBooking(offer.Reference, decision.Fact!, now, offer.Entry.IdentityKey, answer: null, Messages.Confirmed(held));
        return Result<BookingInfo>.Ok(_centre.FindBooking(offer.Reference)!.ToInfo(Id));
    }

    /// <summary>After seats or doses came free: hold them for the people waiting, one offer at a time.</summary>
    private async Task OfferFreedPlaces()
    {
        var now = time.GetUtcNow();
        var offers = new List<Task>();
        while (_centre.DecideNextOffer(NewReference(), now, options.Value.WaitlistHold) is { } offer)
        {
            offers.Add(Record(offer, now, a => a with
            {
                Sms = Outbox(now, Messages.Offered(_centre.FindBooking(offer.Reference)!, offer.ExpiresAt)),
            }));
        }
        await Task.WhenAll(offers);
        WatchOffers();
    }

    /// <summary>While offers are open, look for expired ones now and then, and keep the centre in memory.</summary>
    private void WatchOffers()
    {
        if (_centre.Offers.Count == 0)
        {
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            return;
        }
        var every = options.Value.OfferExpiryCheck;
        _expiryTimer ??= this.RegisterGrainTimer(ExpireOffers, new GrainTimerCreationOptions(every, every) { KeepAlive = true });
    }

    private async Task ExpireOffers(CancellationToken cancellationToken)
    {
        if (_broken)
        {
            return;
        }
        var now = time.GetUtcNow();
        var expired = _centre.DecideExpiries(now);
        await Task.WhenAll(expired.Select(e => Record(e, now)));
        if (expired.Count > 0)
        {
            await OfferFreedPlaces();
        }
        else
        {
            WatchOffers();
        }
    }

    private WaitlistInfo WaitlistView(WaitlistEntry entry)
    {
        var offer = _centre.FindOffer(entry.Id);
        var position = _centre.Waiting.ToList().FindIndex(w => w.Id == entry.Id) + 1;
        return new WaitlistInfo(entry.Id, Id, entry.Vaccine, position,
            offer is null ? null : _centre.FindBooking(offer.Reference)!.ToInfo(Id), offer?.ExpiresAt);
    }

    // ---- recording ---------------------------------------------------------------------------

    /// <summary>A reference no booking of this centre has: the references of other centres are
    /// kept apart by the primary key of booking_refs.</summary>
    private string NewReference()
    {
        string reference;
        do
        {
            reference = BookingReference.New();
        }
        while (_centre.FindBooking(reference) is not null);
        return reference;
    }

    /// <summary>A booking that is durable and whose birth-date check matches; anything else reads as absent.</summary>
    private BookingRecord? Committed(string reference, string birthDateCheck) =>
        _centre.FindBooking(reference) is { } b && b.Status != BookingStatus.Offered && !_uncommitted.Contains(reference)
            && SameCheck(b.BirthDateCheck, birthDateCheck)
            ? b
            : null;

    private static bool SameCheck(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>A new active booking: its reference, the identity's claim and the stored answer commit with the fact.</summary>
    private async Task RecordBooking(string reference, CentreEvent fact, DateTimeOffset now, string identityKey, IdempotencyRow? answer, SmsMessage? confirmation)
    {
        _uncommitted.Add(reference);
        try
        {
            await Record(fact, now, a => a with
            {
                Reference = new BookingReferenceRow(reference, Id, identityKey, now),
                CitizenClaim = new CitizenBookingRow(identityKey, reference, Id),
                Idempotency = answer,
                Sms = Outbox(now, confirmation),
            });
        }
        finally
        {
            _uncommitted.Remove(reference);
        }
    }

    /// <summary>The centre's texts, in its current name and time zone.</summary>
    private SmsMessages Messages => new(_centre.Settings!.Name, _centre.Calendar.Zone);

    private SmsOutboxRow[] Outbox(DateTimeOffset now, params SmsMessage?[] messages) =>
        messages.OfType<SmsMessage>().Select(m => SmsOutboxRow.For(Id, m, now)).ToArray();

    /// <summary>Applies the fact at once, then waits for its rows to commit with the silo's next batch.</summary>
    private async Task Record(CentreEvent fact, DateTimeOffset now, Func<LedgerAppend, LedgerAppend>? withRows = null)
    {
        var append = new LedgerAppend(_activation)
        {
            Ledger = new LedgerRow(Id, ++_seq, fact.Kind, LedgerJson.SerializeToUtf8(fact), now),
        };
        _centre.Apply(fact);
        AvailabilityChanged();
        var snapshot = SnapshotDue() ? SnapshotBuffers.Take(_centre) : null;
        var seq = _seq;
        try
        {
            await writer.AppendAsync(withRows is null ? append : withRows(append));
        }
        catch (LedgerCommitFailedException ex)
        {
            snapshot?.Dispose();
            _broken = true;
            LogCommitFailed(Id, fact.Kind, ex);
            DeactivateOnIdle();
            throw new StorageUnavailableException("The decision could not be recorded. Nothing was confirmed; retry later.");
        }
        if (snapshot is not null)
        {
            // Stored only now: this fact, and so every earlier one, has committed.
            _snapshotSaving = SaveSnapshot(seq, snapshot, now);
        }
    }

    /// <summary>
    /// Enough facts since the last snapshot, and the last one is no longer being saved. A snapshot
    /// costs in proportion to the centre's size (about 0.5 µs a booking), so a centre takes one every
    /// quarter of its facts, at least <see cref="SnapshotFloor"/> and at most
    /// <see cref="CentreOptions.SnapshotEvery"/> apart: that is a few microseconds per fact, and an
    /// activation replays at most that many facts after its snapshot.
    /// </summary>
    private bool SnapshotDue()
    {
        if (_seq - _snapshotSeq < SnapshotGap(_seq, options.Value.SnapshotEvery) || !_snapshotSaving.IsCompleted)
        {
            return false;
        }
        _snapshotSeq = _seq;
        return true;
    }

    /// <summary>How many facts after its last snapshot a centre at ledger row <paramref name="seq"/> takes the next.</summary>
    internal static long SnapshotGap(long seq, int every) => Math.Clamp(seq / 4, Math.Min(SnapshotFloor, every), every);

    private async Task SaveSnapshot(long seq, RecyclableMemoryStream snapshot, DateTimeOffset now)
    {
        using (snapshot)
        {
            try
            {
                await store.SaveSnapshotAsync(Id, seq, CentreSnapshot.Format, snapshot.GetBuffer().AsMemory(0, (int)snapshot.Length), now);
            }
            catch (NpgsqlException ex)
            {
                // The ledger holds every fact; the next activation only replays more of them.
                LogSnapshotFailed(Id, seq, ex);
            }
        }
    }

    /// <summary>Publishes the centre's availability a moment after it changed, once for all the
    /// changes made meanwhile, so that a flash crowd costs one small row a second, not one per booking.</summary>
    private void AvailabilityChanged()
    {
        _availabilityChanged = true;
        var delay = options.Value.AvailabilityPublishDelay;
        _publishTimer ??= this.RegisterGrainTimer(PublishAvailability, new GrainTimerCreationOptions(delay, delay) { KeepAlive = true });
    }

    private async Task PublishAvailability(CancellationToken cancellationToken)
    {
        if (!_availabilityChanged || _broken || _centre.Settings is null)
        {
            _publishTimer?.Dispose();
            _publishTimer = null;
            return;
        }
        _availabilityChanged = false;
        var now = time.GetUtcNow();
        var rows = _centre.Settings.Vaccines
            .Select(v => new AvailabilityRow(Id, v, AvailabilityDocument.Write(_centre, v, now), now))
            .ToArray();
        try
        {
            // A publication stands on nothing else: a fresh writer id keeps its failure from failing decisions.
            await writer.AppendAsync(new LedgerAppend(Guid.NewGuid()) { Availability = rows });
        }
        catch (LedgerCommitFailedException ex)
        {
            _availabilityChanged = true;
            LogPublishFailed(Id, ex);
        }
    }

    private void EnsureUsable()
    {
        if (_broken)
        {
            throw new StorageUnavailableException("The centre is recovering from a storage failure; retry later.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Centre {CentreId}: its availability could not be published; it will try again")]
    private partial void LogPublishFailed(string centreId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Centre {CentreId}: its snapshot at ledger row {Seq} could not be saved; activations replay the facts after the previous one")]
    private partial void LogSnapshotFailed(string centreId, long seq, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Centre {CentreId}: its snapshot at ledger row {Seq} is unreadable; the centre is rebuilt from its whole ledger")]
    private partial void LogSnapshotUnreadable(string centreId, long seq, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Centre {CentreId}: a {Kind} decision did not commit; the centre will rebuild from its ledger")]
    private partial void LogCommitFailed(string centreId, string kind, Exception exception);
}
