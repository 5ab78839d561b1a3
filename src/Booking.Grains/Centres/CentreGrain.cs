using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Domain;
using Booking.Grains.Storage;
using Microsoft.Extensions.Logging;
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
    ILogger<CentreGrain> logger) : Grain, ICentreGrain
{
    private readonly Guid _activation = Guid.NewGuid();
    private readonly HashSet<string> _uncommitted = new(StringComparer.Ordinal);
    private Centre _centre = null!;
    private long _seq;
    private bool _broken;

    private string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _centre = new Centre(Id, VaccineCatalog.Default);
        foreach (var (seq, payload) in await store.ReadCentreAsync(Id))
        {
            _centre.Apply(LedgerJson.Deserialize(payload));
            _seq = seq;
        }
    }

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
            Directory = new CentreDirectoryRow(Id, s.Name, s.Postcode, s.City, s.Latitude, s.Longitude, s.TimeZone, s.Vaccines.ToArray(), now),
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
        return Result<DeliveryInfo>.Ok(decision.Fact!.Delivery.ToInfo());
    }

    public async Task<Result<BookingInfo>> BookPair(BookPairCommand command)
    {
        EnsureUsable();
        var now = time.GetUtcNow();
        var reference = BookingReference.New();
        var citizen = command.Citizen;
        var decision = _centre.DecideBook(
            new PairRequest(reference, command.Vaccine, command.FirstDose, command.SecondDose, citizen.IdentityKey, citizen.BirthDateCheck),
            now);
        if (decision.Refusal is { } refusal)
        {
            return Result<BookingInfo>.Refused(refusal.ToProblem());
        }
        var booking = decision.Fact!.Booking.ToInfo(Id);
        var answer = command.Idempotency is { } tag
            ? new IdempotencyRow(tag.Scope, tag.Key, tag.RequestHash, 201, JsonSerializer.Serialize(booking, LedgerJson.Options), now)
            : null;
        _uncommitted.Add(reference);
        try
        {
            await Record(decision.Fact!, now, a => a with
            {
                Reference = new BookingReferenceRow(reference, Id, citizen.IdentityKey, now),
                CitizenClaim = new CitizenBookingRow(citizen.IdentityKey, reference, Id),
                Idempotency = answer,
            });
        }
        finally
        {
            _uncommitted.Remove(reference);
        }
        return Result<BookingInfo>.Ok(booking);
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
            CitizenRelease = new CitizenBookingRow(booking.IdentityKey, reference, Id),
        });
        return Result<BookingInfo>.Ok(_centre.FindBooking(reference)!.ToInfo(Id));
    }

    public Task<BookingInfo?> FindBooking(string reference, string birthDateCheck) =>
        Task.FromResult(Committed(reference, birthDateCheck)?.ToInfo(Id));

    public Task<IReadOnlyList<SlotInfo>> FirstDoseSlots(string vaccine, DateOnly from, DateOnly to)
    {
        IReadOnlyList<SlotInfo> slots = _centre.FirstDoseSlots(vaccine, from, to, time.GetUtcNow())
            .Select(s => new SlotInfo(s.Start, s.Remaining, s.SecondEarliest, s.SecondLatest))
            .ToArray();
        return Task.FromResult(slots);
    }

    public Task<IReadOnlyList<SlotInfo>> SecondDoseSlots(string vaccine, DateTimeOffset firstDose)
    {
        IReadOnlyList<SlotInfo> slots = _centre.SecondDoseSlots(vaccine, firstDose)
            .Select(s => new SlotInfo(s.Start, s.Remaining, null, null))
            .ToArray();
        return Task.FromResult(slots);
    }

    /// <summary>A booking that is durable and whose birth-date check matches; anything else reads as absent.</summary>
    private BookingRecord? Committed(string reference, string birthDateCheck) =>
        _centre.FindBooking(reference) is { } b && !_uncommitted.Contains(reference)
            && CryptographicEquals(b.BirthDateCheck, birthDateCheck)
            ? b
            : null;

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    /// <summary>Applies the fact at once, then waits for its rows to commit with the silo's next batch.</summary>
    private async Task Record(CentreEvent fact, DateTimeOffset now, Func<LedgerAppend, LedgerAppend>? withRows = null)
    {
        var append = new LedgerAppend(_activation)
        {
            Ledger = new LedgerRow(Id, ++_seq, fact.Kind, LedgerJson.Serialize(fact), now),
        };
        _centre.Apply(fact);
        try
        {
            await writer.AppendAsync(withRows is null ? append : withRows(append));
        }
        catch (LedgerCommitFailedException ex)
        {
            _broken = true;
            LogCommitFailed(Id, fact.Kind, ex);
            DeactivateOnIdle();
            throw new StorageUnavailableException("The decision could not be recorded. Nothing was confirmed; retry later.");
        }
    }

    private void EnsureUsable()
    {
        if (_broken)
        {
            throw new StorageUnavailableException("The centre is recovering from a storage failure; retry later.");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Centre {CentreId}: a {Kind} decision did not commit; the centre will rebuild from its ledger")]
    private partial void LogCommitFailed(string centreId, string kind, Exception exception);
}
