using Booking.Abstractions;
using Dapper;

namespace Booking.Grains.Tests;

/// <summary>
/// Every decision that concerns a person writes what they are told into the SMS outbox, in the
/// same statement as the decision: a message exists exactly when its decision committed.
/// </summary>
public sealed class SmsOutboxTests(OneSilo fixture) : IClassFixture<OneSilo>
{
    private sealed record OutboxRow(string Reference, string Template, string Recipient, string Text, short Segments, string Status);

    [Fact]
    public async Task A_booking_its_reschedule_and_its_cancellation_each_write_one_message()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "sms-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var person = "ada-" + centreId;
        var citizens = TestCentres.Citizens(grains, person);

        var booked = await citizens.Book(centreId, WithContact(TestCentres.Pair(person, TestCentres.At(3, 9)), person));
        Assert.True(booked.Succeeded, booked.Problem?.Detail);
        var reference = booked.Value!.Reference;
        var rescheduled = await citizens.Reschedule(Keys(person).IdentityKey, centreId, reference, Keys(person).BirthDateCheck,
            TestCentres.At(4, 10), TestCentres.At(25, 10));
        Assert.True(rescheduled.Succeeded, rescheduled.Problem?.Detail);
        var cancelled = await citizens.Cancel(Keys(person).IdentityKey, centreId, reference, Keys(person).BirthDateCheck);
        Assert.True(cancelled.Succeeded, cancelled.Problem?.Detail);

        var rows = await Outbox(centreId);
        Assert.Equal(["booking-confirmed", "booking-rescheduled", "booking-cancelled"], rows.Select(r => r.Template));
        Assert.All(rows, r =>
        {
            Assert.Equal(reference, r.Reference);
            Assert.Equal("contact-" + person, r.Recipient);
            Assert.Equal("pending", r.Status);
            Assert.Equal(1, r.Segments);
        });
        Assert.Equal(
            $"Vaccination modifiée à {centreId} : 1re injection le {Local(4, 10)}, 2e injection le {Local(25, 10)}. Réf. {reference}",
            rows[1].Text);
    }

    [Fact]
    public async Task A_refused_booking_and_a_booking_without_a_contact_write_none()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "sms-none-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var first = "first-" + centreId;
        var second = "second-" + centreId;

        var withoutContact = await TestCentres.Citizens(grains, first).Book(centreId, TestCentres.Pair(first, TestCentres.At(3, 9)));
        Assert.True(withoutContact.Succeeded, withoutContact.Problem?.Detail);
        // The same slot again: one line, so it is full.
        var refused = await TestCentres.Citizens(grains, second)
            .Book(centreId, WithContact(TestCentres.Pair(second, TestCentres.At(3, 9)), second));
        Assert.Equal(ProblemKind.SlotFull, refused.Problem?.Kind);

        Assert.Empty(await Outbox(centreId));
    }

    [Fact]
    public async Task A_supply_cut_tells_each_postponed_person_and_the_offers_that_follow_tell_them_again()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "sms-cut-" + Guid.NewGuid().ToString("N")[..12];
        var centre = await TestCentres.CreateAsync(grains, centreId, doses: 6);
        var people = Enumerable.Range(0, 3).Select(i => $"p{i}-{centreId}").ToArray();
        var references = new List<string>();
        for (var i = 0; i < people.Length; i++)
        {
            var booked = await TestCentres.Citizens(grains, people[i])
                .Book(centreId, WithContact(TestCentres.Pair(people[i], TestCentres.At(3 + i, 9)), people[i]));
            Assert.True(booked.Succeeded, booked.Problem?.Detail);
            references.Add(booked.Value!.Reference);
        }
        var delivery = Assert.Single(await centre.Deliveries());

        var cut = await centre.ChangeDelivery(delivery.DeliveryId, new DeliveryChange(null, 2, null, Apply: true));
        Assert.True(cut.Succeeded, cut.Problem?.Detail);
        // One line per appointment postponed; two people lose both of theirs.
        var postponed = cut.Value!.Postpone.Select(p => p.Reference).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, postponed.Length);

        var afterCut = (await Outbox(centreId)).Skip(people.Length).ToArray();
        Assert.All(afterCut, r => Assert.Equal("booking-postponed", r.Template));
        Assert.Equal(postponed, afterCut.Select(r => r.Reference).Order(StringComparer.Ordinal));
        Assert.Equal(
            postponed.Select(r => "contact-" + people[references.IndexOf(r)]).Order(StringComparer.Ordinal),
            afterCut.Select(r => r.Recipient).Order(StringComparer.Ordinal));

        var restored = await centre.AddDelivery(new DeliveryInfo("", "pfizer", TestCentres.Today(), 10, "confirmed"));
        Assert.True(restored.Succeeded, restored.Problem?.Detail);

        var offers = (await Outbox(centreId)).Skip(people.Length + postponed.Length).ToArray();
        Assert.Equal(2, offers.Length);
        Assert.All(offers, r =>
        {
            Assert.Equal("waitlist-offer", r.Template);
            Assert.StartsWith($"Un créneau s'est libéré à {centreId} : 1re injection le ", r.Text, StringComparison.Ordinal);
        });
        Assert.Equal(afterCut.Select(r => r.Recipient).Order(StringComparer.Ordinal), offers.Select(r => r.Recipient).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_supply_cut_that_takes_back_an_offer_tells_the_person_waiting()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "sms-withdraw-" + Guid.NewGuid().ToString("N")[..12];
        var centre = await TestCentres.CreateAsync(grains, centreId, doses: 4);
        var (kept, leaving, waiting) = ("kept-" + centreId, "leaving-" + centreId, "waiting-" + centreId);
        foreach (var (person, day) in new[] { (kept, 3), (leaving, 4) })
        {
            var booked = await TestCentres.Citizens(grains, person).Book(centreId, WithContact(TestCentres.Pair(person, TestCentres.At(day, 9)), person));
            Assert.True(booked.Succeeded, booked.Problem?.Detail);
        }
        // Every dose is taken, so the third person waits; a cancellation then offers them its pair.
        var joined = await centre.JoinWaitlist("pfizer", Keys(waiting) with { ProtectedContact = "contact-" + waiting });
        Assert.True(joined.Succeeded, joined.Problem?.Detail);
        var leavingBooking = (await Outbox(centreId)).Single(r => r.Recipient == "contact-" + leaving).Reference;
        var cancelled = await TestCentres.Citizens(grains, leaving).Cancel(Keys(leaving).IdentityKey, centreId, leavingBooking, Keys(leaving).BirthDateCheck);
        Assert.True(cancelled.Succeeded, cancelled.Problem?.Detail);
        var offer = (await centre.FindWaitlistEntry(joined.Value!.EntryId, Keys(waiting).BirthDateCheck))?.Offer;
        Assert.NotNull(offer);
        var delivery = Assert.Single(await centre.Deliveries());

        // No dose left at all: the kept booking is postponed and the open offer taken back.
        var cut = await centre.ChangeDelivery(delivery.DeliveryId, new DeliveryChange(null, 0, null, Apply: true));
        Assert.True(cut.Succeeded, cut.Problem?.Detail);

        var afterCut = (await Outbox(centreId)).SkipWhile(r => r.Template != "waitlist-offer").Skip(1)
            .Select(r => (r.Template, r.Recipient, r.Reference)).Order().ToArray();
        var keptBooking = (await Outbox(centreId)).First(r => r.Recipient == "contact-" + kept).Reference;
        Assert.Equal(
            new[] { ("booking-postponed", "contact-" + kept, keptBooking), ("waitlist-offer-withdrawn", "contact-" + waiting, offer.Reference) }.Order(),
            afterCut);
    }

    private static CitizenKeys Keys(string person) => TestCentres.Citizen(person);

    private static BookPairCommand WithContact(BookPairCommand command, string person) =>
        command with { Citizen = command.Citizen with { ProtectedContact = "contact-" + person } };

    private static string Local(int days, int hour) =>
        TestCentres.At(days, hour).ToString("dd/MM 'à' HH'h'mm", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<OutboxRow[]> Outbox(string centreId)
    {
        await using var db = fixture.OpenDatabase();
        var rows = await db.QueryAsync<OutboxRow>(
            "SELECT reference, template, recipient, text, segments, status FROM sms_outbox WHERE centre_id = @centreId ORDER BY id",
            new { centreId });
        return rows.ToArray();
    }
}
