using Booking.Grains.Notifications;

namespace Booking.Grains.Storage;

/// <summary>A fact of a centre; <paramref name="Payload"/> is its JSON in UTF-8.</summary>
public sealed record LedgerRow(string CentreId, long Seq, string Kind, byte[] Payload, DateTimeOffset RecordedAt);

public sealed record BookingReferenceRow(string Reference, string CentreId, string IdentityKey, DateTimeOffset CreatedAt);

public sealed record CitizenBookingRow(string IdentityKey, string Reference, string CentreId);

/// <summary>The answer to a write with an Idempotency-Key; <paramref name="Response"/> is its JSON in UTF-8.</summary>
public sealed record IdempotencyRow(string Scope, string Key, string RequestHash, int StatusCode, byte[] Response, DateTimeOffset CreatedAt);

public sealed record CentreDirectoryRow(
    string Id, string Name, string Address, string Postcode, string City, double Latitude, double Longitude,
    string TimeZone, string[] Vaccines, DateTimeOffset UpdatedAt);

/// <summary>An SMS waiting in the outbox: the recipient is the citizen's protected contact, and
/// <paramref name="Segments"/> is what it will cost against the provider's segments-per-second limit.</summary>
public sealed record SmsOutboxRow(string CentreId, string Reference, string Template, string Recipient, string Text, int Segments, DateTimeOffset CreatedAt)
{
    public static SmsOutboxRow For(string centreId, SmsMessage message, DateTimeOffset createdAt) =>
        new(centreId, message.Reference, message.TemplateName, message.ProtectedContact, message.Text, message.Segments, createdAt);
}

/// <summary>A centre's bookable first-dose days for one vaccine, as JSON in UTF-8, for the read models.</summary>
public sealed record AvailabilityRow(string CentreId, string Vaccine, byte[] Days, DateTimeOffset UpdatedAt);

/// <summary>
/// The rows of one decision. They commit together with the rows of every other decision in the
/// same batch, or not at all. <see cref="Writer"/> names the centre activation that decided, so
/// that a failed batch can fail the later decisions of the same activation, which may depend on it.
/// </summary>
public sealed record LedgerAppend(Guid Writer)
{
    public LedgerRow? Ledger { get; init; }

    public BookingReferenceRow? Reference { get; init; }

    /// <summary>The identity now holds this booking.</summary>
    public CitizenBookingRow? CitizenClaim { get; init; }

    /// <summary>These identities no longer hold these bookings (a cancellation, or a supply cut's postponements).</summary>
    public IReadOnlyList<CitizenBookingRow> CitizenReleases { get; init; } = [];

    public IdempotencyRow? Idempotency { get; init; }

    /// <summary>What the people concerned are told; sent only if the decision commits.</summary>
    public IReadOnlyList<SmsOutboxRow> Sms { get; init; } = [];

    public CentreDirectoryRow? Directory { get; init; }

    public IReadOnlyList<AvailabilityRow> Availability { get; init; } = [];
}

/// <summary>Durable append of decisions. The task completes once the rows are committed.</summary>
public interface ILedgerWriter
{
    /// <exception cref="LedgerCommitFailedException">The rows are not known to be committed.</exception>
    Task AppendAsync(LedgerAppend append);
}

/// <summary>The batch holding the rows failed, or its outcome is unknown, or an earlier batch of the same writer failed.</summary>
public sealed class LedgerCommitFailedException(string message, Exception? inner = null) : Exception(message, inner);
