namespace Booking.Grains.Domain;

public enum RefusalReason
{
    /// <summary>The request itself is wrong (unknown vaccine, a start not on the calendar, ...): 422.</summary>
    Invalid,
    CentreNotFound,
    BookingNotFound,
    DeliveryNotFound,
    WaitlistEntryNotFound,
    SlotFull,
    NoSecondDose,
    OutOfStock,
    AlreadyBooked,
    NotActive,
    /// <summary>A delivery change leaves appointments without doses; the refusal carries the plan.</summary>
    SupplyShortfall,
}

/// <summary>Why a decision was refused. A refusal changes nothing.</summary>
public sealed record Refusal(RefusalReason Reason, string Detail, string? Field = null)
{
    public SupplyCutPlan? Plan { get; init; }

    public static Refusal Invalid(string field, string detail) => new(RefusalReason.Invalid, detail, field);
}

/// <summary>Either the fact to record or the reason nothing happens.</summary>
public readonly record struct Decision<T>(T? Fact, Refusal? Refusal) where T : class
{
    public static implicit operator Decision<T>(T fact) => new(fact, null);

    public static implicit operator Decision<T>(Refusal refusal) => new(null, refusal);
}
