using System.Text.Json;
using Booking.Grains.Domain;
using Booking.Grains.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Domain.Tests;

/// <summary>
/// Random sequences of deliveries, bookings (pairs with an explicit or engine-picked second dose,
/// single doses), cancellations and the passing of time on a small centre, run through the engine
/// (<see cref="Centre"/> Decide* + Apply) and through <see cref="CentreModel"/>. At every step both
/// must agree on the outcome, and the invariants I1, I2, I3 and I6 must hold; at the end, a centre
/// rebuilt from the JSON of its facts must look the same.
/// </summary>
public class CentreModelProperties
{
    private static readonly string[] Products = ["pfizer", "janssen", "quick", "brisk", "moderna", "sputnik"];

    public abstract record Op;

    /// <param name="Day">Days from today (5000: beyond the stock window).</param>
    public sealed record DeliverOp(int Vaccine, int Day, int Doses, bool Forecast, bool ReuseId) : Op;

    /// <param name="FirstDay">Days from today, at most the horizon + 1.</param>
    /// <param name="Writing">0: as the calendar writes it, 1: in UTC, 2: at +09:00, 3: seven minutes off the grid.</param>
    /// <param name="SecondMode">0-1: let the engine pick, 2-3: explicit (none for single-dose vaccines), 4: explicit, off the grid or in UTC.</param>
    /// <param name="SecondDay">Below 100: just outside the interval; otherwise a day inside it.</param>
    public sealed record BookOp(int Vaccine, int FirstDay, int FirstSlot, int Writing, int SecondMode, int SecondDay, int SecondSlot, int Identity) : Op;

    public sealed record CancelOp(int Pick, bool Unknown) : Op;

    /// <summary>Move a booking to the slots a <see cref="BookOp"/> would ask for.</summary>
    public sealed record RescheduleOp(int Pick, BookOp Target) : Op;

    public sealed record TickOp(int Minutes) : Op;

    public sealed record Scenario(CentreSettings Settings, DateTimeOffset Start, Op[] Ops)
    {
        public override string ToString()
        {
            var s = Settings;
            var hours = string.Join(" ", s.OpeningHours.GroupBy(h => h.Day).Select(g =>
                $"{g.Key.ToString()[..3]}:{string.Join("+", g.Select(h => $"{h.Open:HH\\:mm}-{h.Close:HH\\:mm}"))}"));
            return $"{s.TimeZone}, {s.Lines} line(s), {s.SlotMinutes} min, horizon {s.BookingHorizonDays}, forecast {s.BookForecastDoses}, " +
                   $"vaccines [{string.Join(",", s.Vaccines)}], closed [{string.Join(",", s.ClosedDates.Select(d => d.ToString("yyyy-MM-dd")))}], hours [{hours}], " +
                   $"start {Start:O}\n  " + string.Join("\n  ", Ops.Select((op, i) => $"{i}: {op}"));
        }
    }

    // ---- generators --------------------------------------------------------------------------

    private static readonly (int OpenH, int OpenM, int CloseH, int CloseM)[][] HourMenus =
    [
        [],
        [(9, 0, 11, 0)],
        [(1, 0, 4, 0)],
        [(8, 0, 9, 30), (14, 0, 15, 0)],
        [(10, 0, 12, 0)],
        [(1, 30, 3, 30), (9, 0, 10, 0)],
    ];

    /// <summary>Just before the spring and autumn changes in Europe, and a plain week in June.</summary>
    private static readonly DateTimeOffset[] Starts =
        [T.At("2027-03-25T22:00Z"), T.At("2027-10-28T22:00Z"), T.At("2027-06-15T05:00Z")];

    private static Gen<T1> Weighted<T1>(params (int Weight, T1 Value)[] choices) =>
        Gen.Frequency(choices.Select(c => (c.Weight, Gen.Constant(c.Value))));

    /// <summary>Below 1000: one of the vaccines the centre offers; from 1000: any product, offered,
    /// not offered or unknown.</summary>
    private static readonly Gen<int> VaccinePick = Gen.Frequency((14, Gen.Choose(0, 999)), (1, Gen.Choose(1000, 1999)));

    private static string Vaccine(CentreModel model, int pick) =>
        pick < 1000 ? model.Settings.Vaccines[pick % model.Settings.Vaccines.Count] : Products[pick % Products.Length];

    private static readonly Gen<Op> Deliver =
        from vaccine in VaccinePick
        from day in Gen.Frequency((1, Gen.Choose(-200, -170)), (14, Gen.Choose(-2, 12)), (1, Gen.Constant(5000)))
        from doses in Gen.Frequency((1, Gen.Constant(-1)), (14, Gen.Choose(0, 8)))
        from forecast in Weighted((1, true), (4, false))
        from reuseId in Weighted((1, true), (14, false))
        select (Op)new DeliverOp(vaccine, day, doses, forecast, reuseId);

    private static readonly Gen<Op> Book =
        from vaccine in VaccinePick
        from firstDay in Gen.Frequency((8, Gen.Choose(1, 3)), (2, Gen.Choose(-1, 9)))
        from firstSlot in Gen.Choose(0, 1000)
        from writing in Weighted((14, 0), (1, 1), (1, 2), (1, 3))
        from secondMode in Weighted((5, 0), (4, 2), (1, 4))
        from secondDay in Gen.Frequency((1, Gen.Choose(0, 99)), (8, Gen.Choose(100, 1000)))
        from secondSlot in Gen.Choose(0, 1000)
        from identity in Gen.Choose(0, 15)
        select (Op)new BookOp(vaccine, firstDay, firstSlot, writing, secondMode, secondDay, secondSlot, identity);

    private static readonly Gen<Op> Cancel =
        from pick in Gen.Choose(0, 1000)
        from unknown in Weighted((1, true), (10, false))
        select (Op)new CancelOp(pick, unknown);

    private static readonly Gen<Op> Tick = Gen.Choose(1, 1800).Select(m => (Op)new TickOp(m));

    private static readonly Gen<Op> Reschedule =
        from pick in Gen.Choose(0, 1000)
        from target in Book
        select (Op)new RescheduleOp(pick, (BookOp)target);

    private static readonly Gen<Op> AnyOp = Gen.Frequency((3, Deliver), (10, Book), (2, Cancel), (2, Reschedule), (1, Tick));

    private static Gen<CentreSettings> SettingsNear(DateOnly startDay) =>
        from zone in Gen.Elements("Europe/Paris", "America/Cayenne", "Indian/Reunion")
        from lines in Gen.Choose(1, 3)
        from slotMinutes in Gen.Elements(30, 45, 60)
        from menus in Gen.Choose(0, HourMenus.Length - 1).ArrayOf(7)
        from closedCount in Gen.Choose(0, 2)
        from closed in Gen.Choose(0, 12).ArrayOf(closedCount)
        from vaccines in Gen.SubListOf("pfizer", "janssen", "quick", "brisk").Where(v => v.Count > 0)
        from horizon in Gen.Choose(2, 8)
        from bookForecast in Gen.Elements(false, true)
        select new CentreSettings("Centre modèle", "1 rue du Test", "97300", "Test", 4.9, -52.3, zone, lines, slotMinutes,
            menus.SelectMany((menu, day) => HourMenus[menu].Select(h =>
                new OpeningHours((DayOfWeek)day, new TimeOnly(h.OpenH, h.OpenM), new TimeOnly(h.CloseH, h.CloseM)))).ToArray(),
            closed.Select(startDay.AddDays).ToArray(),
            vaccines.ToArray(), horizon, bookForecast);

    private static readonly Arbitrary<Scenario> Scenarios = (
        from start in Gen.Elements(Starts)
        from minutes in Gen.Choose(0, 24 * 60 - 1)
        from settings in SettingsNear(DateOnly.FromDateTime(start.UtcDateTime))
        from count in Gen.Choose(10, 80)
        from ops in AnyOp.ArrayOf(count)
        select new Scenario(settings, start.AddMinutes(minutes), ops)).ToArbitrary();

    [Property(MaxTest = 100)]
    public Property The_engine_agrees_with_a_brute_force_model() => Prop.ForAll(Scenarios, Run);

    // ---- the run -------------------------------------------------------------------------------

    private static void Run(Scenario scenario)
    {
        var settings = scenario.Settings;
        var now = scenario.Start;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(settings.TimeZone);
        var startDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var engine = new Centre("model-centre", T.Catalog);
        var configured = T.Fact(engine.DecideConfigure(settings, startDay));
        engine.Apply(configured);
        var facts = new List<CentreEvent> { configured };
        var model = new CentreModel(settings, T.Catalog, configured.StockOrigin);
        var checkFrom = startDay.AddDays(-1);

        for (var step = 0; step < scenario.Ops.Length; step++)
        {
            var op = scenario.Ops[step];
            try
            {
                switch (op)
                {
                    case DeliverOp d:
                        DoDeliver(engine, model, facts, d, step, now);
                        break;
                    case BookOp b:
                        DoBook(engine, model, facts, b, step, now);
                        break;
                    case CancelOp c:
                        DoCancel(engine, model, facts, c, now);
                        break;
                    case RescheduleOp r:
                        DoReschedule(engine, model, facts, r, now);
                        break;
                    case TickOp t:
                        now = now.AddMinutes(t.Minutes);
                        break;
                }
                CheckInvariants(engine, model, checkFrom, now);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"Step {step} ({op}) at {now:O}: {e.Message}");
            }
        }
        CheckRebuild(engine, facts, model, checkFrom, now);
    }

    private static void DoDeliver(Centre engine, CentreModel model, List<CentreEvent> facts, DeliverOp op, int step, DateTimeOffset now)
    {
        var id = op.ReuseId && model.Deliveries.Count > 0 ? model.Deliveries[Math.Abs(op.Day) % model.Deliveries.Count].Id : $"D{step}";
        var delivery = new Delivery(id, Vaccine(model, op.Vaccine), model.LocalDate(now).AddDays(op.Day), op.Doses,
            op.Forecast ? DeliveryStatus.Forecast : DeliveryStatus.Confirmed);

        var expected = model.DecideDelivery(delivery);
        var decision = engine.DecideDelivery(delivery);

        Agree(expected, decision.Refusal);
        if (decision.Fact is { } fact)
        {
            Assert.Equal(delivery, fact.Delivery);
            engine.Apply(fact);
            model.Deliver(delivery);
            facts.Add(fact);
        }
    }

    private static void DoBook(Centre engine, CentreModel model, List<CentreEvent> facts, BookOp op, int step, DateTimeOffset now)
    {
        var vaccine = Vaccine(model, op.Vaccine);
        var (first, second, v) = Requested(model, vaccine, op, now);
        var request = new PairRequest($"R{step}", vaccine, first, second, $"id-{op.Identity}", $"check-{op.Identity}");

        var expected = model.DecideBook(vaccine, first, second, request.IdentityKey, now);
        var decision = engine.DecideBook(request, now);

        Agree(expected, decision.Refusal);
        if (decision.Fact is { } fact)
        {
            var booking = fact.Booking;
            Assert.Equal((request.Reference, request.IdentityKey, request.BirthDateCheck, vaccine, BookingStatus.Confirmed),
                (booking.Reference, booking.IdentityKey, booking.BirthDateCheck, booking.Vaccine, booking.Status));
            Assert.Equal(T.Iso(now), T.Iso(booking.BookedAt));
            Assert.Equal(Enumerable.Range(1, booking.Appointments.Count), booking.Appointments.Select(a => a.Dose));
            Assert.Equal((model.Bookings.Count + 1, v!.NeedsSecondDose ? v.MinIntervalDays : 0, v.NeedsSecondDose ? v.MaxIntervalDays : 0, (DateOnly?)null),
                (booking.Number, booking.MinIntervalDays, booking.MaxIntervalDays, booking.FirstDoseGivenOn));
            Assert.Equal(T.Iso(expected.Appointments!), T.Iso(booking.Appointments.Select(a => a.Start)));
            engine.Apply(fact);
            model.Book(booking.Reference, booking.IdentityKey, vaccine, expected.Appointments!);
            facts.Add(fact);
        }
    }

    /// <summary>
    /// A reschedule holds exactly when booking the same slots would, with the booking's own seats
    /// and doses free: the model decides it that way (for bookings not started yet; the started
    /// ones are covered by the example tests), and the engine must agree and move to the same slots.
    /// </summary>
    private static void DoReschedule(Centre engine, CentreModel model, List<CentreEvent> facts, RescheduleOp op, DateTimeOffset now)
    {
        if (model.Bookings.Count == 0)
        {
            return;
        }
        var target = model.Bookings[op.Pick % model.Bookings.Count];
        if (target.Starts.Any(s => s <= now))
        {
            return;
        }
        var (first, second, _) = Requested(model, target.Vaccine, op.Target, now);
        var decision = engine.DecideReschedule(target.Reference, first, second, now);
        if (!target.Active)
        {
            Assert.Equal(RefusalReason.NotActive, decision.Refusal?.Reason);
            return;
        }
        var expected = model.DecideAsIfFree(target.Reference, () => model.DecideBook(target.Vaccine, first, second, "reschedule-probe", now));

        Assert.True((expected.Reason is null) == (decision.Fact is not null),
            $"model {expected}, engine {decision.Refusal?.Reason.ToString() ?? "accept"} for {T.Iso(first)} / {(second is { } s2 ? T.Iso(s2) : "pick")}");
        if (decision.Fact is { } fact)
        {
            Assert.Equal(T.Iso(expected.Appointments!), T.Iso(fact.Appointments.Select(a => a.Start)));
            engine.Apply(fact);
            model.Reschedule(target.Reference, expected.Appointments!);
            facts.Add(fact);
        }
    }

    /// <summary>The first and second doses a <see cref="BookOp"/> asks for, on the model's calendar.</summary>
    private static (DateTimeOffset First, DateTimeOffset? Second, Vaccine? Vaccine) Requested(CentreModel model, string vaccine, BookOp op, DateTimeOffset now)
    {
        var firstDay = model.LocalDate(now).AddDays(Math.Min(op.FirstDay, model.Settings.BookingHorizonDays + 1));
        var first = Pick(model, NextOpenDay(model, firstDay), op.FirstSlot, op.Writing);
        var (min, max) = T.Catalog.TryGet(vaccine, out var v) && v.NeedsSecondDose ? (v.MinIntervalDays, v.MaxIntervalDays) : (1, 3);
        // Mostly a day inside the interval that has slots; sometimes the day just outside it.
        var inside = Enumerable.Range(min, max - min + 1).Select(firstDay.AddDays).Where(d => model.SlotsOn(d).Count > 0).ToList();
        var secondDay = op.SecondDay < 100 || inside.Count == 0
            ? firstDay.AddDays(op.SecondDay % 2 == 0 ? min - 1 : max + 1)
            : inside[op.SecondDay % inside.Count];
        DateTimeOffset? second = op.SecondMode switch
        {
            2 or 3 when v is null || v.NeedsSecondDose => Pick(model, secondDay, op.SecondSlot, 0),
            4 => Pick(model, secondDay, op.SecondSlot, op.SecondSlot % 2 == 0 ? 3 : 1),
            _ => null,
        };
        return (first, second, v);
    }

    private static void DoCancel(Centre engine, CentreModel model, List<CentreEvent> facts, CancelOp op, DateTimeOffset now)
    {
        var reference = op.Unknown || model.Bookings.Count == 0 ? "R-unknown" : model.Bookings[op.Pick % model.Bookings.Count].Reference;

        var expected = model.DecideCancel(reference);
        var decision = engine.DecideCancel(reference, now);

        Agree(expected, decision.Refusal);
        if (decision.Fact is { } fact)
        {
            Assert.Equal(new BookingCancelled(reference, now), fact);
            engine.Apply(fact);
            model.Cancel(reference, now);
            facts.Add(fact);
        }
    }

    /// <summary>The day itself or the first one after it that has slots, within a week.</summary>
    private static DateOnly NextOpenDay(CentreModel model, DateOnly day) =>
        Enumerable.Range(0, 7).Select(day.AddDays).FirstOrDefault(d => model.SlotsOn(d).Count > 0, day);

    /// <summary>A slot of that day written as asked, or a time that is on no calendar when the day has no slot.</summary>
    private static DateTimeOffset Pick(CentreModel model, DateOnly day, int slotPick, int writing)
    {
        var slots = model.SlotsOn(day);
        if (slots.Count == 0)
        {
            var wall = day.ToDateTime(new TimeOnly(9, 17));
            return new DateTimeOffset(wall, model.Zone.GetUtcOffset(wall));
        }
        var slot = slots[slotPick % slots.Count];
        return writing switch
        {
            1 => slot.ToUniversalTime(),
            2 => slot.ToOffset(TimeSpan.FromHours(9)),
            3 => slot.AddMinutes(7),
            _ => slot,
        };
    }

    /// <summary>Assert.True with a message built only when it fails.</summary>
    private static void That(bool condition, Func<string> message)
    {
        if (!condition)
        {
            throw new Xunit.Sdk.XunitException(message());
        }
    }

    private static void Agree(Outcome expected, Refusal? actual)
    {
        var got = actual is null ? "accept" : $"{actual.Reason}{(actual.Field is null ? "" : $"({actual.Field})")}";
        var want = expected.Reason is null ? "accept" : expected.ToString();
        That(want == got, () => $"engine: {got} ({actual?.Detail}), model: {expected}");
    }

    // ---- invariants ----------------------------------------------------------------------------

    private static int LongestInterval(CentreModel model) =>
        model.Settings.Vaccines.Select(v => T.Catalog[v].MaxIntervalDays).Max();

    private static IEnumerable<DateOnly> Days(DateOnly from, DateOnly to)
    {
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            yield return d;
        }
    }

    private static void CheckInvariants(Centre engine, CentreModel model, DateOnly checkFrom, DateTimeOffset now)
    {
        var settings = model.Settings;
        var today = model.LocalDate(now);
        var checkTo = today.AddDays(settings.BookingHorizonDays + LongestInterval(model) + 1);

        // Same calendar; I1: no slot over capacity, and the engine's seat counts are the model's.
        foreach (var day in Days(checkFrom, checkTo))
        {
            var slots = model.SlotsOn(day);
            var starts = engine.Calendar.Day(day).Starts;
            if (!slots.Select(s => (s.UtcTicks, s.Offset)).SequenceEqual(starts.Select(s => (s.UtcTicks, s.Offset))))
            {
                Assert.Equal(T.Iso(slots), T.Iso(starts));
            }
            for (var i = 0; i < slots.Count; i++)
            {
                var taken = model.Taken(slots[i]);
                That(taken <= settings.Lines, () => $"I1: {T.Iso(slots[i])} holds {taken} > {settings.Lines}");
                That(taken == engine.Booked(new SlotRef(day, i)), () => $"seats at {T.Iso(slots[i])}: engine {engine.Booked(new SlotRef(day, i))}, model {taken}");
            }
        }

        // I2: every day covered, and the engine's availability per day is the model's.
        foreach (var vaccine in T.Catalog.All.Select(v => v.Id))
        {
            if (engine.Stock(vaccine) is not { } stock)
            {
                That(!model.HasUsableDelivery(vaccine), () => $"{vaccine}: usable deliveries but no stock");
                continue;
            }
            Assert.Null(stock.FirstShortDay());
            That(model.Covered(vaccine), () => $"I2: {vaccine} is short on some day");
            var available = model.AvailableFrom(vaccine, checkFrom, checkTo);
            foreach (var (day, expected) in Days(checkFrom, checkTo).Zip(available))
            {
                That(expected == stock.AvailableFrom(day), () => $"{vaccine} available from {day}: engine {stock.AvailableFrom(day)}, model {expected}");
            }
        }

        // Same bookings; I3: every confirmed pair inside its interval.
        Assert.Equal(
            model.Bookings.OrderBy(b => b.Reference, StringComparer.Ordinal)
                .Select(b => $"{b.Reference} {b.Identity} {b.Vaccine} {(b.Active ? BookingStatus.Confirmed : BookingStatus.Cancelled)} {string.Join(" ", T.Iso(b.Starts))}"),
            engine.Bookings.OrderBy(b => b.Reference, StringComparer.Ordinal)
                .Select(b => $"{b.Reference} {b.IdentityKey} {b.Vaccine} {b.Status} {string.Join(" ", T.Iso(b.Appointments.Select(a => a.Start)))}"));
        foreach (var booking in engine.Bookings.Where(b => b.Status == BookingStatus.Confirmed && b.Appointments.Count == 2))
        {
            var days = model.LocalDate(booking.Appointments[1].Start).DayNumber - model.LocalDate(booking.Appointments[0].Start).DayNumber;
            var vaccine = T.Catalog[booking.Vaccine];
            That(days >= vaccine.MinIntervalDays && days <= vaccine.MaxIntervalDays
                    && days >= booking.MinIntervalDays && days <= booking.MaxIntervalDays,
                () => $"I3: {booking.Reference} has its second dose {days} days after the first");
        }

        // I6: the first-dose slots shown are exactly the ones the model can book, with their second-dose range.
        foreach (var vaccine in settings.Vaccines)
        {
            var from = today.AddDays(-1);
            var to = today.AddDays(settings.BookingHorizonDays + 2);
            var shown = engine.FirstDoseSlots(vaccine, from, to, now);
            var expected = model.FirstDoseSlots(vaccine, from, to, now);
            if (!expected.Select(Exactly).SequenceEqual(shown.Select(Exactly)))
            {
                Assert.Equal(Describe(expected), Describe(shown));
            }
            // A search that stops early (the waitlist's earliest slot) finds the same first slots.
            var firstTwo = new List<FirstDoseSlot>();
            engine.FirstDoseSlots(vaccine, from, to, now, firstTwo, limit: 2);
            Assert.Equal(expected.Take(2).Select(Exactly), firstTwo.Select(Exactly));
            foreach (var slot in shown.Where(_ => T.Catalog[vaccine].NeedsSecondDose))
            {
                var outcome = model.DecideBook(vaccine, slot.Start, null, "probe", now);
                That(outcome.Reason is null, () => $"I6: {T.Iso(slot.Start)} is shown for {vaccine} but the model says {outcome}");
                Assert.InRange(outcome.Appointments![1], slot.SecondEarliest!.Value, slot.SecondLatest!.Value);
                Assert.NotNull(engine.DecideBook(new PairRequest("probe", vaccine, slot.Start, null, "probe", "probe"), now).Fact);
            }
        }
    }

    /// <summary>A first-dose slot with its instants and offsets, for a comparison that also checks offsets.</summary>
    private static (FirstDoseSlot Slot, TimeSpan, TimeSpan?, TimeSpan?) Exactly(FirstDoseSlot s) =>
        (s, s.Start.Offset, s.SecondEarliest?.Offset, s.SecondLatest?.Offset);

    private static string[] Describe(IEnumerable<FirstDoseSlot> slots) =>
        slots.Select(s => $"{T.Iso(s.Start)} x{s.Remaining} [{T.Iso(s.SecondEarliest)} .. {T.Iso(s.SecondLatest)}]").ToArray();

    // ---- rebuilding from the ledger --------------------------------------------------------------

    /// <summary>A centre rebuilt from its facts' JSON, as plain System.Text.Json writes it and as
    /// the ledger (<see cref="LedgerJson"/>: camelCase, enums by name) does, looks the same.</summary>
    private static void CheckRebuild(Centre engine, List<CentreEvent> facts, CentreModel model, DateOnly checkFrom, DateTimeOffset now)
    {
        var plain = new Centre(engine.Id, T.Catalog);
        var ledger = new Centre(engine.Id, T.Catalog);
        foreach (var fact in facts)
        {
            var json = JsonSerializer.Serialize<CentreEvent>(fact);
            plain.Apply(JsonSerializer.Deserialize<CentreEvent>(json) ?? throw new InvalidOperationException($"null from {json}"));
            ledger.Apply(LedgerJson.Deserialize(LedgerJson.SerializeToUtf8(fact)));
        }
        SameState(engine, plain, model, checkFrom, now);
        SameState(engine, ledger, model, checkFrom, now);

        // From a snapshot taken at several points, then the facts after it, as an activation does.
        foreach (var taken in new[] { 1, facts.Count / 3, 2 * facts.Count / 3, facts.Count }.Where(k => k >= 1).Distinct())
        {
            SameState(engine, FactLog.RestoreFromSnapshot(engine.Id, T.Catalog, facts, taken), model, checkFrom, now);
        }
    }

    private static void SameState(Centre engine, Centre rebuilt, CentreModel model, DateOnly checkFrom, DateTimeOffset now)
    {
        var today = model.LocalDate(now);
        var checkTo = today.AddDays(model.Settings.BookingHorizonDays + LongestInterval(model) + 1);
        foreach (var vaccine in T.Catalog.All.Select(v => v.Id))
        {
            Assert.Equal(
                Describe(engine.FirstDoseSlots(vaccine, today, today.AddDays(model.Settings.BookingHorizonDays), now)),
                Describe(rebuilt.FirstDoseSlots(vaccine, today, today.AddDays(model.Settings.BookingHorizonDays), now)));
            Assert.Equal(engine.Stock(vaccine) is null, rebuilt.Stock(vaccine) is null);
            foreach (var day in Days(checkFrom, checkTo).Where(_ => engine.Stock(vaccine) is not null))
            {
                Assert.Equal(engine.Stock(vaccine)!.AvailableFrom(day), rebuilt.Stock(vaccine)!.AvailableFrom(day));
            }
        }
        foreach (var day in Days(checkFrom, checkTo))
        {
            var count = engine.Calendar.Day(day).Count;
            Assert.Equal(
                Enumerable.Range(0, count).Select(i => engine.Booked(new SlotRef(day, i))),
                Enumerable.Range(0, count).Select(i => rebuilt.Booked(new SlotRef(day, i))));
        }
        Assert.Equal(engine.Version, rebuilt.Version);
        Assert.Equal(engine.StockOrigin, rebuilt.StockOrigin);
        Assert.Equal(engine.ActiveByIdentity.OrderBy(a => a.Key, StringComparer.Ordinal), rebuilt.ActiveByIdentity.OrderBy(a => a.Key, StringComparer.Ordinal));
        Assert.Equal(BookingsOf(engine), BookingsOf(rebuilt));
        Assert.Equal(engine.Waiting.Select(T.Describe), rebuilt.Waiting.Select(T.Describe));
        Assert.Equal(engine.Offers.Select(T.Describe).Order(StringComparer.Ordinal), rebuilt.Offers.Select(T.Describe).Order(StringComparer.Ordinal));
        Assert.Equal(engine.Deliveries.OrderBy(d => d.Key, StringComparer.Ordinal), rebuilt.Deliveries.OrderBy(d => d.Key, StringComparer.Ordinal));
        Assert.Equal(engine.Settings! with { OpeningHours = [], ClosedDates = [], Vaccines = [] },
            rebuilt.Settings! with { OpeningHours = [], ClosedDates = [], Vaccines = [] });
        Assert.Equal(engine.Settings!.OpeningHours, rebuilt.Settings!.OpeningHours);
        Assert.Equal(engine.Settings!.ClosedDates, rebuilt.Settings!.ClosedDates);
        Assert.Equal(engine.Settings!.Vaccines, rebuilt.Settings!.Vaccines);
    }

    private static string[] BookingsOf(Centre centre) =>
        centre.Bookings.OrderBy(b => b.Reference, StringComparer.Ordinal)
            .Select(b => string.Join(" ", new[] { b.Reference, b.IdentityKey, b.BirthDateCheck, b.Vaccine, b.Status.ToString(), T.Iso(b.BookedAt),
                    $"#{b.Number} {b.MinIntervalDays}-{b.MaxIntervalDays} {b.FirstDoseGivenOn} {b.ProtectedContact} {b.Initials}" }
                .Concat(b.Appointments.Select(a => $"{a.Dose}@{T.Iso(a.Start)}"))
                .Concat(b.Given?.Select(a => $"given {a.Dose}@{T.Iso(a.Start)}") ?? [])))
            .ToArray();
}
