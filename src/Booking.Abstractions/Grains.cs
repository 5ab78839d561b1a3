namespace Booking.Abstractions;

/// <summary>
/// One vaccination centre: the single writer of its calendar, stock and bookings. Every decision
/// is taken in memory, one at a time, and answered only once its ledger row has committed.
/// </summary>
public interface ICentreGrain : IGrainWithStringKey
{
    Task<Result<CentreInfo>> Configure(CentreDefinition definition);

    Task<CentreInfo?> Describe();

    Task<Result<DeliveryInfo>> AddDelivery(DeliveryInfo delivery);

    Task<IReadOnlyList<DeliveryInfo>> Deliveries();

    /// <summary>Changes a delivery; a shortfall is refused with the plan unless the change says to apply it.</summary>
    Task<Result<SupplyCutInfo>> ChangeDelivery(string deliveryId, DeliveryChange change);

    Task<IReadOnlyList<DayAppointment>> Appointments(DateOnly date);

    Task<IReadOnlyList<StockDayInfo>> StockReport(string vaccine, DateOnly from, DateOnly to);

    Task<Result<BookingInfo>> BookPair(BookPairCommand command);

    Task<Result<BookingInfo>> Cancel(string reference, string birthDateCheck);

    Task<Result<BookingInfo>> Reschedule(string reference, string birthDateCheck, DateTimeOffset? firstDose, DateTimeOffset? secondDose);

    Task<BookingInfo?> FindBooking(string reference, string birthDateCheck);

    Task<Result<WaitlistInfo>> JoinWaitlist(string vaccine, CitizenKeys citizen);

    Task<WaitlistInfo?> FindWaitlistEntry(string entryId, string birthDateCheck);

    /// <summary>The identity that an open offer is held for, so that acceptance can pass through its citizen grain.</summary>
    Task<string?> OfferHolder(string entryId, string birthDateCheck);

    Task<Result<BookingInfo>> AcceptOffer(string entryId, string birthDateCheck);

    /// <summary>Null when the centre does not exist: one call answers both questions.</summary>
    Task<SlotListing?> FirstDoseSlots(string vaccine, DateOnly from, DateOnly to);

    /// <summary>Null when the centre does not exist.</summary>
    Task<IReadOnlyList<SlotInfo>?> SecondDoseSlots(string vaccine, DateTimeOffset firstDose);
}

/// <summary>
/// One citizen identity (a keyed hash, never a name). It lets a single booking per person
/// through at a time, nationwide, and remembers which one is active.
/// </summary>
public interface ICitizenGrain : IGrainWithStringKey
{
    Task<Result<BookingInfo>> Book(string centreId, BookPairCommand command);

    Task<Result<BookingInfo>> Cancel(string centreId, string reference, string birthDateCheck);

    Task<Result<BookingInfo>> Reschedule(string centreId, string reference, string birthDateCheck, DateTimeOffset? firstDose, DateTimeOffset? secondDose);

    Task<Result<BookingInfo>> AcceptOffer(string centreId, string entryId, string birthDateCheck);
}

/// <summary>
/// One Idempotency-Key of one portal. Not reentrant: copies of a request that arrive together pass
/// one at a time, so the first books and the others replay its stored answer (or are refused when
/// their body differs) instead of racing it.
/// </summary>
public interface IIdempotencyGrain : IGrainWithStringKey
{
    Task<IdempotentBooking> Book(string requestHash, string centreId, BookPairCommand command);
}
