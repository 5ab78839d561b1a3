using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Booking.Api.Privacy;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Booking.Api.Tests;

/// <summary>Names, birth dates, phone numbers and e-mails are never stored in clear nor logged.</summary>
public sealed class PrivacyTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Personal_data_is_neither_stored_in_clear_nor_logged()
    {
        var centreId = await api.CreateCentreAsync(new CentreSpec(Lines: 3, Vaccines: ["pfizer"]), DeliverySpec.Today(100));
        using var portal = api.Portal();
        using var manager = api.Operator();
        var day = TestData.Today.AddDays(4);
        var people = Enumerable.Range(0, 6).Select(i => new CitizenBody(
            "Prénomsecret" + TestData.UniqueLetters()[..6], "Nomsecret" + TestData.UniqueLetters()[..6],
            $"19{50 + i}-0{1 + i}-1{i}", $"+3361234{5000 + i}", $"secret{i}@example.org")).ToArray();
        var booked = new List<BookingDto>();
        foreach (var (person, i) in people.Select((p, i) => (p, i)))
        {
            using var response = await portal.BookAsync(BookingBody.For(centreId, TestData.At(day, 9, 10 * i), citizen: person), "privacy-" + Guid.NewGuid());
            booked.Add(await Expect.BookingAsync(response, HttpStatusCode.Created));
        }
        // Refusals, look-ups, a cancellation and a validation error go through the logs too.
        using (var again = await portal.BookAsync(BookingBody.For(centreId, TestData.At(day, 11), citizen: people[0])))
        {
            await Expect.ProblemAsync(again, HttpStatusCode.Conflict, "already-booked");
        }
        using (var bad = await portal.BookAsync(BookingBody.For(centreId, TestData.At(day, 11), citizen: people[1] with { Phone = "+33 1 00" })))
        {
            await Expect.ValidationAsync(bad, "citizen.phone");
        }
        using (await portal.GetBookingAsync(booked[2].Reference, people[2].BirthDate))
        using (var cancel = await portal.CancelAsync(booked[3].Reference, people[3].BirthDate))
        {
            await Expect.StatusAsync(cancel, HttpStatusCode.NoContent);
        }

        // The day list shows initials only.
        var list = await manager.GetFromJsonAsync<JsonElement[]>($"/api/v1/manage/centres/{centreId}/appointments?date={TestData.Iso(day)}");
        Assert.Equal($"{people[0].FirstName[0]}. {people[0].LastName[0]}.",
            list!.Single(a => a.GetProperty("reference").GetString() == booked[0].Reference).GetProperty("initials").GetString());

        var secrets = people.SelectMany(p => new[] { p.FirstName, p.LastName, p.BirthDate, p.Phone, p.Phone[1..], p.Email! }).ToArray();
        var stored = await DumpDatabaseAsync();
        Assert.Contains(booked[0].Reference, stored);
        // Each confirmation waits in the SMS outbox; only the API's keys read whom it goes to.
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            var recipients = (await connection.QueryAsync<(string Reference, string Recipient)>(
                "SELECT reference, recipient FROM sms_outbox WHERE template = 'booking-confirmed' AND reference = ANY(@references)",
                new { references = booked.Select(b => b.Reference).ToArray() })).ToDictionary(r => r.Reference, r => r.Recipient);
            var keys = api.Services.GetRequiredService<PersonalData>();
            Assert.Equal(booked.Count, recipients.Count);
            Assert.All(booked.Zip(people), pair => Assert.Equal(pair.Second.Phone, keys.Unprotect(recipients[pair.First.Reference]).Phone));
        }
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, stored, StringComparison.OrdinalIgnoreCase));
        Assert.NotEmpty(api.Logs.Lines);
        var logs = string.Join('\n', api.Logs.Lines);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, logs, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Every text column of every table of the database, as one string.</summary>
    private async Task<string> DumpDatabaseAsync()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        var tables = await connection.QueryAsync<string>(
            "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            foreach (var row in await connection.QueryAsync<string>($"SELECT t::text FROM {table} t"))
            {
                dump.AppendLine(row);
            }
        }
        return dump.ToString();
    }
}
