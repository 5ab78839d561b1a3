using Booking.Grains.Domain;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Domain.Tests;

/// <summary>
/// Random small centres with two short-interval vaccines ("quick", 2-3 days; "brisk", 1-3 days),
/// random deliveries, pair bookings and second-dose-only bookings, time moving on so that some
/// first doses are given, a few people waiting, then one or two random delivery changes (fewer
/// doses, later, confirmed/forecast). The engine's plan must be the one a brute-force reading of
/// the rule gives; applying it must leave every day covered (I2) and put the postponed people
/// first on the waitlist; the centre rebuilt from the ledger's JSON must look the same.
/// </summary>
public class SupplyCutProperties
{
    private static readonly string[] Vaccines = ["quick", "brisk"];

    public sealed record DeliverySpec(int Vaccine, int Day, int Doses, bool Forecast);

    /// <param name="SecondOnly">A dose-2-only booking, dose 1 given elsewhere <paramref name="GivenDaysAgo"/> days ago.</param>
    public sealed record BookingSpec(bool SecondOnly, int Vaccine, int Day, int Slot, int GivenDaysAgo);

    /// <param name="Percent">New doses as a percentage of the old (floor).</param>
    public sealed record CutSpec(int Pick, int Percent, int DelayDays, bool FlipStatus, int AfterMinutes);

    public sealed record Scenario(string Zone, int Lines, int SlotMinutes, bool BookForecast, DateTimeOffset Start,
        DeliverySpec[] Deliveries, BookingSpec[] Early, int AdvanceMinutes, BookingSpec[] Late, int Waiting, CutSpec[] Cuts)
    {
        public override string ToString() =>
            $"{Zone}, {Lines} line(s), {SlotMinutes} min, forecast usable {BookForecast}, start {Start:O}, advance {AdvanceMinutes} min, {Waiting} waiting\n" +
            $"  deliveries: {string.Join("; ", Deliveries.AsEnumerable())}\n" +
            $"  early: {string.Join("; ", Early.AsEnumerable())}\n" +
            $"  late: {string.Join("; ", Late.AsEnumerable())}\n" +
            $"  cuts: {string.Join("; ", Cuts.AsEnumerable())}";
    }

    // ---- generators --------------------------------------------------------------------------

    private static Gen<bool> Sometimes(int inOf) => Gen.Frequency((1, Gen.Constant(true)), (inOf - 1, Gen.Constant(false)));

    private static readonly Gen<DeliverySpec> DeliveryGen =
        from vaccine in Gen.Choose(0, 1)
        from day in Gen.Choose(-3, 8)
        from doses in Gen.Choose(0, 12)
        from forecast in Sometimes(5)
        select new DeliverySpec(vaccine, day, doses, forecast);

    private static readonly Gen<BookingSpec> BookingGen =
        from secondOnly in Sometimes(5)
        from vaccine in Gen.Choose(0, 1)
        from day in Gen.Choose(0, 5)
        from slot in Gen.Choose(0, 100)
        from ago in Gen.Choose(0, 4)
        select new BookingSpec(secondOnly, vaccine, day, slot, ago);

    private static readonly Gen<CutSpec> CutGen =
        from pick in Gen.Choose(0, 100)
        from percent in Gen.Frequency((4, Gen.Choose(0, 99)), (1, Gen.Choose(100, 150)))
        from delay in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 4)))
        from flip in Sometimes(6)
        from after in Gen.Choose(0, 600)
        select new CutSpec(pick, percent, delay, flip, after);

    /// <summary>A plain week, and the week of the change to summer time in Paris.</summary>
    private static readonly DateTimeOffset[] Starts = [T.At("2027-06-14T04:00Z"), T.At("2027-03-25T04:00Z")];

    private static readonly Arbitrary<Scenario> Scenarios = (
        from zone in Gen.Elements("Europe/Paris", "America/Cayenne", "Indian/Reunion")
        from lines in Gen.Choose(1, 2)
        from slotMinutes in Gen.Elements(30, 60)
        from bookForecast in Gen.Elements(false, true)
        from start in Gen.Elements(Starts)
        from minutes in Gen.Choose(0, 1439)
        from deliveryCount in Gen.Choose(1, 6)
        from deliveries in DeliveryGen.ArrayOf(deliveryCount)
        from earlyCount in Gen.Choose(5, 25)
        from early in BookingGen.ArrayOf(earlyCount)
        from advance in Gen.Choose(0, 4 * 1440)
        from lateCount in Gen.Choose(0, 8)
        from late in BookingGen.ArrayOf(lateCount)
        from waiting in Gen.Choose(0, 2)
        from cutCount in Gen.Choose(1, 2)
        from cuts in CutGen.ArrayOf(cutCount)
        select new Scenario(zone, lines, slotMinutes, bookForecast, start.AddMinutes(minutes), deliveries, early, advance, late, waiting, cuts))
        .ToArbitrary();

    [Property(MaxTest = 300)]
    public Property The_plan_is_the_brute_force_plan_and_applying_it_keeps_every_day_covered() => Prop.ForAll(Scenarios, Run);

    // ---- the run -------------------------------------------------------------------------------

    private static void Run(Scenario scenario)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(scenario.Zone);
        DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

        var now = scenario.Start;
        var today = LocalDate(now);
        var settings = T.Settings(zone: scenario.Zone, lines: scenario.Lines, slotMinutes: scenario.SlotMinutes,
            hours: T.EveryDay(T.H(9), T.H(11)), vaccines: Vaccines, horizon: 5, bookForecast: scenario.BookForecast);
        var log = FactLog.Configured(settings, today, id: "cut-centre");
        var c = log.Centre;
        var from = today.AddDays(-6);
        var to = today.AddDays(30);

        for (var i = 0; i < scenario.Deliveries.Length; i++)
        {
            var d = scenario.Deliveries[i];
            log.Deliver($"D{i}", Vaccines[d.Vaccine], today.AddDays(d.Day), d.Doses, d.Forecast ? DeliveryStatus.Forecast : DeliveryStatus.Confirmed);
        }
        Book(log, scenario.Early, "E", now);
        now = now.AddMinutes(scenario.AdvanceMinutes);
        Book(log, scenario.Late, "L", now);
        for (var i = 0; i < scenario.Waiting; i++)
        {
            log.Join($"wl-p{i}", Vaccines[i % 2], $"P{i}", now);
        }
        CentreState.AssertConsistent(c, from, to);

        foreach (var cut in scenario.Cuts)
        {
            now = now.AddMinutes(cut.AfterMinutes);
            var current = c.Deliveries.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList()[cut.Pick % c.Deliveries.Count];

            // More doses, earlier: nothing can need postponing.
            var more = current with { Doses = current.Doses + cut.Percent % 5 };
            Assert.Empty(c.PlanSupply(more, now).Postpone);
            Assert.Empty(T.Fact(c.DecideChangeDelivery(more, apply: false, now)).Postponed);

            var changed = current with
            {
                Doses = current.Doses * cut.Percent / 100,
                Date = current.Date.AddDays(cut.DelayDays),
                Status = cut.FlipStatus
                    ? current.Status == DeliveryStatus.Confirmed ? DeliveryStatus.Forecast : DeliveryStatus.Confirmed
                    : current.Status,
            };
            var usable = c.Deliveries.Values
                .Select(d => d.Id == changed.Id ? changed : d)
                .Where(d => d.Vaccine == changed.Vaccine && (d.Status == DeliveryStatus.Confirmed || settings.BookForecastDoses))
                .ToList();
            var active = c.Bookings.Where(b => b.Vaccine == changed.Vaccine && b.Status is BookingStatus.Confirmed or BookingStatus.Offered).ToList();
            var givenEarlier = c.Bookings.Where(b => b.Vaccine == changed.Vaccine && !Centre.HoldsPlace(b))
                .SelectMany(b => b.Given ?? []).Select(a => LocalDate(a.Start)).ToList();
            var expected = BruteForcePlan(usable, active, givenEarlier, LocalDate, now);
            var everythingFits = CentreState.ShortDay(usable,
                active.SelectMany(b => b.Appointments).Select(a => LocalDate(a.Start)).Concat(givenEarlier).ToList()) is null;
            Assert.True(!everythingFits || expected.Postponed.Count == 0, "the reference postpones with enough stock");

            var before = CentreState.Describe(c, from, to);
            // Injections already given are facts: a change that leaves them without doses is refused.
            var given = c.Bookings.Where(b => b.Vaccine == changed.Vaccine)
                .SelectMany(b => (Centre.HoldsPlace(b) ? b.Appointments : []).Union(b.Given ?? []))
                .Where(a => a.Start <= now).Select(a => LocalDate(a.Start)).ToList();
            if (CentreState.ShortDay(usable, given) is not null)
            {
                var refused = T.Refused(c.DecideChangeDelivery(changed, apply: true, now));
                Assert.Equal((RefusalReason.Invalid, "doses"), (refused.Reason, refused.Field));
                Assert.Equal(before, CentreState.Describe(c, from, to));
                continue;
            }
            var preview = c.DecideChangeDelivery(changed, apply: false, now);
            var plan = c.PlanSupply(changed, now);
            Assert.Equal(before, CentreState.Describe(c, from, to));

            Assert.Equal(expected.Postponed.Order(StringComparer.Ordinal), plan.Postpone.Select(b => b.Reference).Order(StringComparer.Ordinal));
            Assert.Equal(expected.Kept, plan.Kept);
            if (expected.Postponed.Count == 0)
            {
                Assert.Empty(T.Fact(preview).Postponed);
            }
            else
            {
                var refusal = T.Refused(preview);
                Assert.Equal(RefusalReason.SupplyShortfall, refusal.Reason);
                Assert.Equal(plan.Postpone.Select(b => b.Reference), refusal.Plan!.Postpone.Select(b => b.Reference));
                Assert.Equal(plan.Kept, refusal.Plan.Kept);
            }

            var waitingBefore = c.Waiting.ToList();
            var fact = log.Accept(c.DecideChangeDelivery(changed, apply: true, now));

            Assert.Equal(plan.Postpone.Select(b => b.Reference), fact.Postponed);
            Assert.All(fact.Postponed, r => Assert.Equal(BookingStatus.Postponed, c.FindBooking(r)!.Status));
            foreach (var stock in Vaccines.Select(c.Stock).OfType<DoseTimeline>())
            {
                Assert.Null(stock.FirstShortDay());
            }
            Assert.Equal(
                waitingBefore.Where(w => w.Priority).Select(w => w.Id)
                    .Concat(fact.Postponed.Select(Centre.PostponedEntryId))
                    .Concat(waitingBefore.Where(w => !w.Priority).Select(w => w.Id)),
                c.Waiting.Select(w => w.Id));
            CentreState.AssertConsistent(c, from, to);
        }
        log.AssertRebuildsSame(from, to);
    }

    private static void Book(FactLog log, BookingSpec[] specs, string tag, DateTimeOffset now)
    {
        var c = log.Centre;
        var today = c.Calendar.LocalDate(now);
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            var reference = $"{tag}{i}";
            var vaccine = Vaccines[spec.Vaccine];
            if (spec.SecondOnly)
            {
                var request = new SecondDoseRequest(reference, vaccine, today.AddDays(-spec.GivenDaysAgo), null, $"id-{reference}", $"bd-{reference}");
                if (c.DecideSecondDose(request, now).Fact is { } fact)
                {
                    log.Apply(fact);
                }
                continue;
            }
            var starts = c.Calendar.Day(today.AddDays(spec.Day)).Starts;
            if (starts.Count > 0 && c.DecideBook(T.Request(reference, vaccine, starts[spec.Slot % starts.Count]), now).Fact is { } pair)
            {
                log.Apply(pair);
            }
        }
    }

    /// <summary>
    /// The rule read literally: appointments already given always count; then bookings with dose 1
    /// given (here or elsewhere) in booking order, then the others in booking order; a booking is
    /// kept when, with everything kept so far and its own future appointments, every day's
    /// cumulative usable deliveries still cover its cumulative appointments (all days scanned again).
    /// </summary>
    private static (List<string> Postponed, int Kept) BruteForcePlan(
        List<Delivery> usable, List<BookingRecord> active, List<DateOnly> givenEarlier, Func<DateTimeOffset, DateOnly> localDate, DateTimeOffset now)
    {
        // Injections given by bookings postponed or cancelled earlier count for good.
        var counted = active.SelectMany(b => b.Appointments).Where(a => a.Start <= now).Select(a => localDate(a.Start)).Concat(givenEarlier).ToList();
        bool Started(BookingRecord b) => b.FirstDoseGivenOn is not null || b.Appointments.Any(a => a.Start <= now);
        bool Offer(BookingRecord b) => b.Status == BookingStatus.Offered && !Started(b);
        // Started bookings, then the others, then offers not yet accepted; each group in booking order.
        var order = active.Where(Started).OrderBy(b => b.Number)
            .Concat(active.Where(b => !Started(b) && !Offer(b)).OrderBy(b => b.Number))
            .Concat(active.Where(Offer).OrderBy(b => b.Number));
        var postponed = new List<string>();
        var kept = 0;
        foreach (var booking in order)
        {
            var future = booking.Appointments.Where(a => a.Start > now).Select(a => localDate(a.Start)).ToList();
            if (CentreState.ShortDay(usable, counted.Concat(future).ToList()) is null)
            {
                counted.AddRange(future);
                kept++;
            }
            else
            {
                postponed.Add(booking.Reference);
            }
        }
        return (postponed, kept);
    }
}
