using System.Text.Json;
using Booking.Api.ReadModel;
using Booking.Grains.Storage;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Booking.Api.Tests;

/// <summary>The availability read model refreshed from rows written as the centres write them.</summary>
public sealed class ReadModelTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly NpgsqlDataSource _dataSource = api.Services.GetRequiredService<NpgsqlDataSource>();

    [Fact]
    public async Task A_refresh_shows_the_days_that_changed_and_keeps_the_others()
    {
        var (a, b) = (Id("a"), Id("b"));
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await ListAsync(a, start);
        await ListAsync(b, start);
        await PublishAsync(a, start, seats: 10);
        await PublishAsync(b, start, seats: 20);
        var model = NewModel();
        await model.RefreshAsync(CancellationToken.None);
        var version = model.Version;

        await PublishAsync(a, start.AddSeconds(1), seats: 9);
        await model.RefreshAsync(CancellationToken.None);

        Assert.Equal(version + 1, model.Version);
        Assert.Equal(9, Days(model, a).Single().Seats);
        Assert.Equal(20, Days(model, b).Single().Seats);
        var ids = model.Centres.Select(c => c.Centre.Id).ToArray();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task A_refresh_without_a_change_keeps_the_version()
    {
        var d = Id("d");
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await ListAsync(d, start);
        await PublishAsync(d, start, seats: 5);
        var model = NewModel();
        await model.RefreshAsync(CancellationToken.None);
        var version = model.Version;

        // The overlap reads the same rows again: nothing new, so searches keep their ETag.
        await model.RefreshAsync(CancellationToken.None);

        Assert.Equal(version, model.Version);
    }

    [Fact]
    public async Task Days_published_before_their_centre_is_listed_show_once_it_is()
    {
        var c = Id("c");
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await PublishAsync(c, start, seats: 7);
        var model = NewModel();
        await model.RefreshAsync(CancellationToken.None);
        Assert.DoesNotContain(model.Centres, x => x.Centre.Id == c);

        await ListAsync(c, start.AddSeconds(1));
        await model.RefreshAsync(CancellationToken.None);

        Assert.Equal(7, Days(model, c).Single().Seats);
    }

    private static string Id(string name) => $"rm-{name}-{Guid.NewGuid():N}"[..24];

    private AvailabilityCache NewModel() =>
        new(_dataSource, Options.Create(new ReadModelOptions()), NullLogger<AvailabilityCache>.Instance);

    private static IReadOnlyList<DayAvailability> Days(AvailabilityCache model, string centreId) =>
        model.Centres.Single(x => x.Centre.Id == centreId).ByVaccine["pfizer"];

    private async Task ListAsync(string centreId, DateTimeOffset at)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO centres (id, name, postcode, city, latitude, longitude, time_zone, vaccines, updated_at)
            VALUES (@centreId, 'Read model', '75001', 'Paris', 48.86, 2.34, 'Europe/Paris', ARRAY['pfizer'], @at)
            """, new { centreId, at });
    }

    /// <summary>One day with <paramref name="seats"/> bookable seats, as a centre publishes it at <paramref name="at"/>.</summary>
    private async Task PublishAsync(string centreId, DateTimeOffset at, int seats)
    {
        var day = new DayAvailability
        {
            Date = TestData.Today.AddDays(3),
            FirstStart = TestData.At(TestData.Today.AddDays(3), 9),
            LastEnd = TestData.At(TestData.Today.AddDays(3), 17),
            Slots = seats,
            Seats = seats,
        };
        await using var connection = await _dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO availability (centre_id, vaccine, days, updated_at) VALUES (@centreId, 'pfizer', @days, @at)
            ON CONFLICT (centre_id, vaccine) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at
            """, new { centreId, days = JsonSerializer.Serialize(new[] { day }, LedgerJson.Options), at });
    }
}
