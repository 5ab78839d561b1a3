using System.Globalization;
using Booking.Grains.Domain;
using Booking.Grains.Storage;

namespace Booking.Domain.Tests;

/// <summary>
/// A centre driven through Decide* and Apply that keeps every fact it applied, in order, so that a
/// test can rebuild the centre from the ledger's JSON (<see cref="LedgerJson"/>) and compare.
/// </summary>
internal sealed class FactLog(Centre centre)
{
    public Centre Centre { get; } = centre;

    public List<CentreEvent> Facts { get; } = [];

    public static FactLog Configured(CentreSettings settings, DateOnly today, VaccineCatalog? catalog = null, string id = "centre-log")
    {
        var log = new FactLog(new Centre(id, catalog ?? T.Catalog));
        log.Accept(log.Centre.DecideConfigure(settings, today));
        return log;
    }

    public TFact Apply<TFact>(TFact fact) where TFact : CentreEvent
    {
        Centre.Apply(fact);
        Facts.Add(fact);
        return fact;
    }

    /// <summary>Applies a decision that must be a fact.</summary>
    public TFact Accept<TFact>(Decision<TFact> decision) where TFact : CentreEvent => Apply(T.Fact(decision));

    public Delivery Deliver(string id, string vaccine, DateOnly date, int doses, DeliveryStatus status = DeliveryStatus.Confirmed) =>
        Accept(Centre.DecideDelivery(new Delivery(id, vaccine, date, doses, status))).Delivery;

    public BookingRecord Book(PairRequest request, DateTimeOffset now) => Accept(Centre.DecideBook(request, now)).Booking;

    /// <summary>Joins the waitlist as "id-{who}" / "bd-{who}".</summary>
    public WaitlistEntry Join(string entryId, string vaccine, string who, DateTimeOffset at) =>
        Accept(Centre.DecideJoinWaitlist(new WaitlistEntry(entryId, vaccine, $"id-{who}", $"bd-{who}", at))).Entry;

    /// <summary>A fresh centre that applied every fact after a trip through the ledger's JSON.</summary>
    public Centre Rebuild(VaccineCatalog? catalog = null)
    {
        var rebuilt = new Centre(Centre.Id, catalog ?? Centre.Catalog);
        foreach (var fact in Facts)
        {
            var copy = LedgerJson.Deserialize(LedgerJson.SerializeToUtf8(fact));
            Assert.Equal(fact.Kind, copy.Kind);
            rebuilt.Apply(copy);
        }
        return rebuilt;
    }

    /// <summary>A fresh centre restored from a snapshot taken after the first <paramref name="taken"/>
    /// facts, then given the facts after it, as an activation does.</summary>
    public Centre RestoreFromSnapshot(int taken) => RestoreFromSnapshot(Centre.Id, Centre.Catalog, Facts, taken);

    /// <summary>A centre restored from a snapshot of the first <paramref name="taken"/> of
    /// <paramref name="facts"/>, then given the rest of them.</summary>
    public static Centre RestoreFromSnapshot(string centreId, VaccineCatalog catalog, IReadOnlyList<CentreEvent> facts, int taken)
    {
        var before = new Centre(centreId, catalog);
        foreach (var fact in facts.Take(taken))
        {
            before.Apply(fact);
        }
        var restored = CentreSnapshot.Read(centreId, catalog, T.Snapshot(before));
        Assert.Equal(before.Version, restored.Version);
        foreach (var fact in facts.Skip(taken))
        {
            restored.Apply(fact);
        }
        return restored;
    }

    /// <summary>The centre looks the same rebuilt from the ledger's JSON, and restored from a
    /// snapshot taken at the end or half-way.</summary>
    public void AssertRebuildsSame(DateOnly from, DateOnly to)
    {
        var expected = CentreState.Describe(Centre, from, to);
        var rebuilt = Rebuild();
        Assert.Equal(expected, CentreState.Describe(rebuilt, from, to));
        CentreState.AssertConsistent(rebuilt, from, to);
        foreach (var taken in new[] { Facts.Count / 2, Facts.Count }.Where(k => k >= 1).Distinct())
        {
            var restored = RestoreFromSnapshot(taken);
            Assert.Equal(expected, CentreState.Describe(restored, from, to));
            Assert.Equal(Centre.Version, restored.Version);
        }
    }
}

/// <summary>What can be seen of a centre, written out line by line, and the bookkeeping every centre must keep.</summary>
internal static class CentreState
{
    /// <summary>The slot of a local date that starts at that local time.</summary>
    public static DateTimeOffset S(Centre centre, DateOnly day, int hour, int minute = 0)
    {
        var matches = centre.Calendar.Day(day).Starts.Where(s => s.Hour == hour && s.Minute == minute).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new Xunit.Sdk.XunitException($"{Day(day)} {hour:00}:{minute:00} is not a slot of the centre.");
    }

    public static DateTimeOffset S(Centre centre, string day, int hour, int minute = 0) => S(centre, T.Day(day), hour, minute);

    public static int BookedAt(Centre centre, DateOnly day, int hour) => centre.Booked(T.Slot(centre, S(centre, day, hour)));

    public static int BookedAt(Centre centre, string day, int hour) => BookedAt(centre, T.Day(day), hour);

    public static string[] Appointments(BookingRecord booking) =>
        booking.Appointments.Select(a => $"{a.Dose}@{T.Iso(a.Start)}").ToArray();

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static IEnumerable<DateOnly> Days(DateOnly from, DateOnly to)
    {
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            yield return d;
        }
    }

    /// <summary>Bookings (status, number, interval, appointments), seats per slot, stock per day,
    /// the waitlist in order, open offers, deliveries and whether each known identity is active.</summary>
    public static string[] Describe(Centre centre, DateOnly from, DateOnly to)
    {
        var lines = new List<string>();
        lines.AddRange(centre.Bookings.OrderBy(b => b.Reference, StringComparer.Ordinal).Select(b =>
            $"booking {b.Reference} {b.IdentityKey} {b.BirthDateCheck} {b.Vaccine} {b.Status} #{b.Number} {b.MinIntervalDays}-{b.MaxIntervalDays} " +
            $"given:{(b.FirstDoseGivenOn is { } g ? Day(g) : "-")} at:{T.Iso(b.BookedAt)} {b.ProtectedContact} {b.Initials} " +
            string.Join(" ", Appointments(b))));
        foreach (var day in Days(from, to))
        {
            var slots = centre.Calendar.Day(day);
            if (slots.Count > 0)
            {
                lines.Add($"seats {Day(day)} " + string.Join(",", Enumerable.Range(0, slots.Count).Select(i => centre.Booked(new SlotRef(day, i)))));
            }
        }
        foreach (var vaccine in centre.Catalog.All.Select(v => v.Id))
        {
            if (centre.Stock(vaccine) is not { } stock)
            {
                lines.Add($"stock {vaccine} none");
                continue;
            }
            lines.Add($"stock {vaccine} short:{(stock.FirstShortDay() is { } s ? Day(s) : "-")}");
            lines.AddRange(Days(from, to).Select(d =>
                $"stock {vaccine} {Day(d)} delivered {stock.DeliveredOn(d)} booked {stock.BookedOn(d)} available {stock.AvailableFrom(d)}"));
        }
        lines.AddRange(centre.Waiting.Select((w, i) =>
            $"waiting {i} {w.Id} {w.Vaccine} {w.IdentityKey} {w.BirthDateCheck} {T.Iso(w.JoinedAt)} {w.PostponedReference ?? "-"} {w.ProtectedContact} {w.Initials}"));
        lines.AddRange(centre.Offers.OrderBy(o => o.Entry.Id, StringComparer.Ordinal).Select(o =>
            $"offer {o.Entry.Id} {o.Reference} {T.Iso(o.ExpiresAt)}"));
        lines.AddRange(centre.Deliveries.Values.OrderBy(d => d.Id, StringComparer.Ordinal).Select(d => $"delivery {d}"));
        if (centre.Settings is { Vaccines.Count: > 0 } settings)
        {
            var identities = centre.Bookings.Select(b => b.IdentityKey).Concat(centre.Waiting.Select(w => w.IdentityKey))
                .Distinct().Order(StringComparer.Ordinal);
            foreach (var identity in identities)
            {
                var probe = centre.DecideJoinWaitlist(new WaitlistEntry("probe", settings.Vaccines[0], identity, "probe", DateTimeOffset.UnixEpoch));
                lines.Add($"identity {identity} {(probe.Refusal is { } r ? $"{r.Reason}({r.Field})" : "free")}");
            }
        }
        return lines.ToArray();
    }

    /// <summary>
    /// Seats and stock are exactly what the bookings that hold a place (confirmed or offered) take,
    /// plus the injections any booking had given before it was postponed or cancelled;
    /// no slot is over capacity (I1); no day is short, both by the engine's timeline and by a plain
    /// count of usable deliveries and appointments (I2); every open offer is held by an offered booking
    /// whose person is still waiting; postponed people wait ahead of everyone else.
    /// </summary>
    public static void AssertConsistent(Centre centre, DateOnly from, DateOnly to)
    {
        // A booking that holds a place takes its appointments; any booking keeps the ones it had given.
        static IEnumerable<Appointment> Taken(BookingRecord b) =>
            Centre.HoldsPlace(b) ? b.Appointments.Union(b.Given ?? []) : b.Given ?? [];
        var starts = centre.Bookings.SelectMany(Taken).GroupBy(a => a.Start.UtcTicks).ToDictionary(g => g.Key, g => g.Count());
        foreach (var day in Days(from, to))
        {
            var slots = centre.Calendar.Day(day);
            for (var i = 0; i < slots.Count; i++)
            {
                var booked = centre.Booked(new SlotRef(day, i));
                var expected = starts.GetValueOrDefault(slots.Starts[i].UtcTicks);
                if (booked != expected || booked > centre.Calendar.Capacity)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"seats at {T.Iso(slots.Starts[i])}: engine counts {booked}, bookings holding a place have {expected}, capacity {centre.Calendar.Capacity}");
                }
            }
        }
        foreach (var vaccine in centre.Catalog.All.Select(v => v.Id))
        {
            var days = centre.Bookings.Where(b => b.Vaccine == vaccine)
                .SelectMany(b => Taken(b).Select(a => centre.Calendar.LocalDate(a.Start))).ToList();
            var deliveries = centre.Deliveries.Values
                .Where(d => d.Vaccine == vaccine && (d.Status == DeliveryStatus.Confirmed || centre.Settings!.BookForecastDoses))
                .ToList();
            if (centre.Stock(vaccine) is not { } stock)
            {
                Assert.True(days.Count == 0 && deliveries.Count == 0, $"{vaccine}: appointments or deliveries but no stock");
                continue;
            }
            foreach (var day in Days(from, to))
            {
                var expected = days.Count(d => d == day);
                if (stock.BookedOn(day) != expected)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"{vaccine} on {Day(day)}: the stock counts {stock.BookedOn(day)} appointments, bookings holding a place have {expected}");
                }
            }
            Assert.Null(stock.FirstShortDay());
            if (ShortDay(deliveries, days) is { } shortDay)
            {
                throw new Xunit.Sdk.XunitException($"I2: {vaccine} has more appointments than usable deliveries up to {Day(shortDay)}");
            }
        }
        foreach (var offer in centre.Offers)
        {
            Assert.Equal(BookingStatus.Offered, centre.FindBooking(offer.Reference)?.Status);
            Assert.Contains(centre.Waiting, w => w.Id == offer.Entry.Id);
        }
        var firstPlain = centre.Waiting.ToList().FindIndex(w => !w.Priority);
        Assert.True(firstPlain < 0 || centre.Waiting.Skip(firstPlain).All(w => !w.Priority), "a postponed person waits behind someone else");
        Assert.Equal(centre.Waiting.Count, centre.Waiting.Select(w => w.Id).Distinct().Count());
    }

    /// <summary>The first day on which cumulative appointments exceed cumulative deliveries, scanning every day.</summary>
    public static DateOnly? ShortDay(IReadOnlyCollection<Delivery> deliveries, IReadOnlyCollection<DateOnly> appointments)
    {
        if (appointments.Count == 0)
        {
            return null;
        }
        var all = deliveries.Select(d => d.Date).Concat(appointments).ToList();
        for (var day = all.Min(); day <= all.Max(); day = day.AddDays(1))
        {
            var delivered = deliveries.Where(d => d.Date <= day).Sum(d => (long)d.Doses);
            var used = appointments.Count(a => a <= day);
            if (used > delivered)
            {
                return day;
            }
        }
        return null;
    }
}
