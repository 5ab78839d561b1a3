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

    Task<Result<BookingInfo>> BookPair(BookPairCommand command);

    Task<Result<BookingInfo>> Cancel(string reference, string birthDateCheck);

    Task<BookingInfo?> FindBooking(string reference, string birthDateCheck);

    Task<IReadOnlyList<SlotInfo>> FirstDoseSlots(string vaccine, DateOnly from, DateOnly to);

    Task<IReadOnlyList<SlotInfo>> SecondDoseSlots(string vaccine, DateTimeOffset firstDose);
}

/// <summary>
/// One citizen identity (a keyed hash, never a name). It lets a single booking per person
/// through at a time, nationwide, and remembers which one is active.
/// </summary>
public interface ICitizenGrain : IGrainWithStringKey
{
    Task<Result<BookingInfo>> Book(string centreId, BookPairCommand command);

    Task<Result<BookingInfo>> Cancel(string centreId, string reference, string birthDateCheck);
}
