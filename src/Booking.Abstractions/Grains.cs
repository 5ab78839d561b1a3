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

    /// <summary>The identity that an open offer is held for, so that acceptance can pass through its citizen shard.</summary>
    Task<string?> OfferHolder(string entryId, string birthDateCheck);

    Task<Result<BookingInfo>> AcceptOffer(string entryId, string birthDateCheck);

    /// <summary>Null when the centre does not exist: one call answers both questions.</summary>
    Task<SlotListing?> FirstDoseSlots(string vaccine, DateOnly from, DateOnly to);

    /// <summary>Null when the centre does not exist.</summary>
    Task<IReadOnlyList<SlotInfo>?> SecondDoseSlots(string vaccine, DateTimeOffset firstDose);
}

/// <summary>
/// One share of all citizen identities (keyed hashes, never names), picked by
/// <see cref="Shards.Of"/>. It lets one request per identity through at a time, nationwide, and
/// each reads the identity's durable claim before it goes on (unless the shard has never seen the
/// identity, which then has none), so "one active booking per person" holds without a grain per
/// person: launch day brings a million new identities, each seen once.
/// </summary>
public interface ICitizenShardGrain : IGrainWithIntegerKey
{
    /// <summary>Books for <c>command.Citizen.IdentityKey</c>.</summary>
    Task<Result<BookingInfo>> Book(string centreId, BookPairCommand command);

    Task<Result<BookingInfo>> Cancel(string identityKey, string centreId, string reference, string birthDateCheck);

    Task<Result<BookingInfo>> Reschedule(string identityKey, string centreId, string reference, string birthDateCheck, DateTimeOffset? firstDose, DateTimeOffset? secondDose);

    Task<Result<BookingInfo>> AcceptOffer(string identityKey, string centreId, string entryId, string birthDateCheck);

    /// <summary>Does nothing but activate the shard, which reads its keys: a starting silo calls it before it reports ready.</summary>
    Task WarmUp();
}

/// <summary>
/// One share of the Idempotency-Keys of all portals, picked by <see cref="Shards.Of"/>. Copies of
/// a request that arrive together pass one at a time, so the first books and the others replay its
/// stored answer (or are refused when their body differs) instead of racing it.
/// </summary>
public interface IIdempotencyShardGrain : IGrainWithIntegerKey
{
    /// <summary>Books under <c>command.Idempotency</c>, which must be set.</summary>
    Task<IdempotentBooking> Book(string centreId, BookPairCommand command);

    /// <summary>Does nothing but activate the shard, which reads its keys: a starting silo calls it before it reports ready.</summary>
    Task WarmUp();
}

/// <summary>Which shard grain owns a key: the same answer on every silo, in every process.</summary>
public static class Shards
{
    /// <summary>Enough for the load to spread over the silos and cores.</summary>
    public const int Count = 128;

    /// <summary>The key an Idempotency-Key is sharded and remembered by: keys are unique per portal.</summary>
    public static string IdempotencyKey(string scope, string key) => scope + "\n" + key;

    /// <summary>FNV-1a over the key's UTF-16 code units (string hash codes differ from process to
    /// process); the database's <c>booking_shard</c> function computes the same.</summary>
    public static long Of(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash % Count;
    }
}
