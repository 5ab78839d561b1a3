using Booking.Grains.Domain;
using Booking.Migrations;
using DbUp.Engine.Output;
using Npgsql;

namespace Booking.LoadTests.Tests;

/// <summary>
/// The invariant audit against a fresh, migrated PostgreSQL database (server from BOOKING_TEST_PG,
/// which ./test.sh sets; without it the tests fail rather than skip). Each test writes engine-made
/// ledger rows, tampers with one invariant, and expects exactly that check to fail.
/// </summary>
public sealed class AuditTests : IAsyncLifetime
{
    private const string I1 = "I1 no slot over capacity";
    private const string I2 = "I2 no day over stock";
    private const string I3 = "I3 intervals inside windows";
    private const string I4 = "I4 one active booking per identity";
    private const string Durability = "durability of every 201";
    private const string Sms = "confirmation SMS of every 201";
    private const string Readable = "ledger readable";

    // Identity keys are long hashes in the engine; the audit prints their first 12 characters.
    // Eve's is shorter, to show that a short key is printed whole rather than breaking the audit.
    private const string Alice = "identity-key-alice-0001";
    private const string Bruno = "identity-key-bruno-0002";
    private const string Chloe = "identity-key-chloe-0003";
    private const string Denis = "identity-key-denis-0004";
    private const string Emma = "identity-key-emma-00005";
    private const string Eve = "eve";
    private const string Fiona = "identity-key-fiona-0006";

    private static readonly DateTimeOffset NineOClock = new(2030, 3, 5, 9, 0, 0, TimeSpan.FromHours(1));
    private static readonly DateTimeOffset TenOClock = NineOClock.AddHours(1);

    private readonly string _database = "loadtests_audit_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _server = Environment.GetEnvironmentVariable("BOOKING_TEST_PG")
        ?? throw new InvalidOperationException("BOOKING_TEST_PG is not set: run the tests through ./test.sh.");

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;

    public Task InitializeAsync() => DatabaseMigrator.MigrateAsync(ConnectionString, new NoOpUpgradeLog());

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Two centres; at c-1 the 09:00 slot is full (two lines) and 10:00 has one booking; c-2 has one.</summary>
    private static LedgerData Clean()
    {
        var data = new LedgerData();
        data.AddCentre("c-1");
        data.AddCentre("c-2");
        data.Book("c-1", "REF-A", Alice, NineOClock);
        data.Book("c-1", "REF-B", Bruno, NineOClock);
        data.Book("c-1", "REF-C", Chloe, TenOClock);
        data.Book("c-2", "REF-D", Denis, NineOClock);
        return data;
    }

    private async Task<AuditResult> Audit(LedgerData data, IReadOnlyCollection<string>? confirmed = null)
    {
        await data.InsertAsync(ConnectionString);
        return await LoadTests.Audit.Run(SystemKind.Grains, ConnectionString, confirmed ?? data.Confirmed, TextWriter.Null);
    }

    private static AuditCheck Check(AuditResult result, string name) => Assert.Single(result.Checks, c => c.Name == name);

    private static void AssertOnlyFailing(AuditResult result, string failing, long violations)
    {
        Assert.Equal([I1, I2, I3, I4, Durability, Sms, Readable], result.Checks.Select(c => c.Name));
        var check = Check(result, failing);
        Assert.False(check.Passed);
        Assert.Equal(violations, check.Violations);
        Assert.All(result.Checks.Where(c => c.Name != failing), c => Assert.True(c.Passed && c.Violations == 0, $"{c.Name}: {c.Violations}"));
        Assert.False(result.Passed);
        Assert.Equal(violations, result.Violations);
    }

    [Fact]
    public async Task Engine_made_ledger_passes_every_check()
    {
        var data = Clean();
        var result = await Audit(data);

        Assert.Equal([I1, I2, I3, I4, Durability, Sms, Readable], result.Checks.Select(c => c.Name));
        Assert.All(result.Checks, c => Assert.True(c.Passed && c.Violations == 0, $"{c.Name}: {c.Violations}"));
        Assert.True(result.Passed);
        Assert.Empty(result.Examples);
        Assert.Equal(8, result.Facts["ledger rows"]);
        Assert.Equal(2, result.Facts["centres"]);
        Assert.Equal(4, result.Facts["pair-booked"]);
        Assert.Equal(4, result.Facts["active bookings"]);
        Assert.Equal(4, result.Facts["201 references checked"]);
    }

    [Fact]
    public async Task A_booking_on_a_full_slot_fails_I1()
    {
        var data = Clean();
        var extra = data.Force("c-1", "REF-X", Emma, NineOClock, claim: true);
        var result = await Audit(data);

        // Both doses of the extra booking land where the first two bookings' doses already fill both lines.
        Assert.Equal([NineOClock, NineOClock.AddDays(21)], extra.Appointments.Select(a => a.Start));
        AssertOnlyFailing(result, I1, violations: 4);
        Assert.Contains(result.Examples, e => e.StartsWith("I1: c-1 seq 6: slot ", StringComparison.Ordinal) && e.EndsWith("holds 3 > 2 lines (REF-X)", StringComparison.Ordinal));
        Assert.Contains(result.Examples, e => e.StartsWith("I1: c-1 final: slot ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_booking_on_a_slot_with_a_free_line_passes_I1()
    {
        var data = Clean();
        data.Force("c-1", "REF-X", Emma, TenOClock, claim: true);
        var result = await Audit(data);

        Assert.True(result.Passed, string.Join("\n", result.Examples));
    }

    [Fact]
    public async Task A_second_active_booking_for_an_identity_fails_I4()
    {
        var data = Clean();
        // The claims table holds one row per identity: Alice's claim stays on REF-A.
        data.Force("c-2", "REF-X", Alice, TenOClock, claim: false);
        var result = await Audit(data);

        AssertOnlyFailing(result, I4, violations: 1);
        Assert.Equal(["I4: identity identity-key… holds 2 active bookings: REF-A, REF-X"], result.Examples);
    }

    [Fact]
    public async Task A_short_identity_key_is_printed_whole()
    {
        var data = Clean();
        data.Force("c-1", "REF-X", Eve, TenOClock, claim: true);
        data.Force("c-2", "REF-Y", Eve, TenOClock, claim: false);
        var result = await Audit(data);

        AssertOnlyFailing(result, I4, violations: 1);
        Assert.StartsWith("I4: identity eve holds 2 active bookings: ", Assert.Single(result.Examples), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_active_booking_without_its_claim_fails_I4()
    {
        var data = Clean();
        data.Force("c-2", "REF-X", Emma, TenOClock, claim: false);
        var result = await Audit(data);

        AssertOnlyFailing(result, I4, violations: 1);
        Assert.Equal(["I4: active booking REF-X has no claim in citizen_bookings"], result.Examples);
    }

    [Fact]
    public async Task A_201_missing_from_booking_refs_or_the_ledger_fails_durability()
    {
        var data = Clean();
        data.DropReference("REF-C");
        var confirmed = data.Confirmed.Append("REF-LOST").ToArray();
        var result = await Audit(data, confirmed);

        // REF-LOST was never committed, so it has no confirmation SMS either.
        Assert.Equal(2, Check(result, Durability).Violations);
        Assert.Equal(1, Check(result, Sms).Violations);
        Assert.Equal(3, result.Violations);
        Assert.Equal(
            [
                "durability: REF-C got a 201 but is not in booking_refs",
                "durability: REF-LOST got a 201 but is not in booking_refs nor in the ledger",
                "sms: REF-LOST got a 201 but has no booking-confirmed row in sms_outbox",
            ],
            result.Examples.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_201_without_its_confirmation_sms_fails_the_sms_check()
    {
        var data = Clean();
        data.DropSms("REF-B");
        var result = await Audit(data);

        AssertOnlyFailing(result, Sms, violations: 1);
        Assert.Equal(["sms: REF-B got a 201 but has no booking-confirmed row in sms_outbox"], result.Examples);
    }

    [Fact]
    public async Task A_centre_whose_doses_are_all_booked_passes_I2()
    {
        var data = Clean();
        data.AddCentre("c-3", doses: 2);
        data.Book("c-3", "REF-E", Emma, NineOClock);
        var result = await Audit(data);

        Assert.True(result.Passed, string.Join("\n", result.Examples));
    }

    [Fact]
    public async Task A_booking_beyond_the_doses_delivered_fails_I2()
    {
        var data = Clean();
        data.AddCentre("c-3", doses: 2);
        data.Book("c-3", "REF-E", Emma, NineOClock);
        // A copy of c-3 that has not seen REF-E still has both doses; its booking goes on the free 10:00 slots.
        var extra = data.Force("c-3", "REF-X", Fiona, TenOClock, claim: true);
        var result = await Audit(data);

        Assert.Equal([TenOClock, TenOClock.AddDays(21)], extra.Appointments.Select(a => a.Start));
        // Four appointments for two doses: short by 2 from dose-2 day on, once after the fact and once at the end.
        AssertOnlyFailing(result, I2, violations: 2);
        Assert.Equal(
            ["I2: c-3 seq 4: pfizer short by 2 on 2030-03-26 after REF-X", "I2: c-3 final: pfizer short by 2 on 2030-03-26"],
            result.Examples);
    }

    /// <summary>Dose 2 moved to <paramref name="days"/> days after dose 1, same time of day.</summary>
    private static BookingRecord SecondDoseAfter(BookingRecord b, int days) =>
        b with { Appointments = [b.Appointments[0], new Appointment(2, b.Appointments[0].Start.AddDays(days))] };

    [Theory]
    [InlineData(21)]
    [InlineData(49)]
    public async Task A_second_dose_at_either_end_of_the_interval_passes_I3(int days)
    {
        var data = Clean();
        var extra = data.Force("c-1", "REF-X", Emma, TenOClock, claim: true, b => SecondDoseAfter(b, days));
        var result = await Audit(data);

        Assert.Equal([TenOClock, TenOClock.AddDays(days)], extra.Appointments.Select(a => a.Start));
        Assert.True(result.Passed, string.Join("\n", result.Examples));
    }

    [Theory]
    [InlineData(20)]
    [InlineData(50)]
    public async Task A_second_dose_outside_the_interval_fails_I3(int days)
    {
        var data = Clean();
        var extra = data.Force("c-1", "REF-X", Emma, TenOClock, claim: true, b => SecondDoseAfter(b, days));
        var result = await Audit(data);

        Assert.Equal([TenOClock, TenOClock.AddDays(days)], extra.Appointments.Select(a => a.Start));
        AssertOnlyFailing(result, I3, violations: 1);
        Assert.Equal([$"I3: c-1 seq 6: REF-X pfizer dose 2 after {days} days, window 21–49 (catalogue 21–49)"], result.Examples);
    }

    [Fact]
    public async Task A_booking_window_that_is_not_the_catalogues_fails_I3()
    {
        var data = Clean();
        data.Force("c-1", "REF-X", Emma, TenOClock, claim: true, b => SecondDoseAfter(b, 50) with { MaxIntervalDays = 60 });
        var result = await Audit(data);

        AssertOnlyFailing(result, I3, violations: 1);
        Assert.Equal(["I3: c-1 seq 6: REF-X pfizer dose 2 after 50 days, window 21–60 (catalogue 21–49)"], result.Examples);
    }

    [Fact]
    public async Task A_two_dose_booking_without_its_second_dose_fails_I3()
    {
        var data = Clean();
        data.Force("c-1", "REF-X", Emma, TenOClock, claim: true, b => b with { Appointments = [b.Appointments[0]] });
        var result = await Audit(data);

        AssertOnlyFailing(result, I3, violations: 1);
        Assert.Equal(["I3: c-1 seq 6: REF-X is a pfizer booking without a second dose"], result.Examples);
    }

    [Theory]
    [InlineData("centre-renamed", """{"name": "Centre B"}""", "Unknown fact kind 'centre-renamed'.")]
    [InlineData("pair-booked", """{"booking": {"reference": "REF-X"}}""", null)]
    [InlineData("pair-booked", """[]""", null)]
    [InlineData("booking-cancelled", """{"reference": "REF-NONE", "at": "2030-03-04T07:00:00+00:00"}""", null)]
    [InlineData("centre-configured", """{"settings": {"lines": 2, "timeZone": "Mars/Olympus_Mons"}, "stockOrigin": "2030-03-01"}""", null)]
    [InlineData("centre-configured", """{"settings": {"lines": 2, "timeZone": null}, "stockOrigin": "2030-03-01"}""", null)]
    public async Task A_ledger_row_that_cannot_be_replayed_fails_ledger_readable(string kind, string payload, string? message)
    {
        var data = Clean();
        data.WriteRaw("c-2", kind, payload);
        var result = await Audit(data);

        AssertOnlyFailing(result, Readable, violations: 1);
        var example = Assert.Single(result.Examples);
        Assert.StartsWith($"c-2 seq 4 ({kind}) could not be replayed: ", example, StringComparison.Ordinal);
        if (message is not null)
        {
            Assert.EndsWith(message, example, StringComparison.Ordinal);
        }
        Assert.Equal(9, result.Facts["ledger rows"]);
    }
}
