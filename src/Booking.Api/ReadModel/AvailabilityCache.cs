using System.Collections.Immutable;
using System.Text.Json;
using Booking.Grains.Storage;
using Dapper;
using Npgsql;

namespace Booking.Api.ReadModel;

public sealed class ReadModelOptions
{
    /// <summary>How often each silo looks for changed rows. With the centres' one-second publishing
    /// delay, a search is at most about PollInterval + 1 s + one commit behind the centres.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// This silo's copy of the availability read model. It polls the rows the centres changed since
/// its last look (with an overlap, because a row's timestamp is taken before its batch commits),
/// and swaps in a new immutable snapshot when anything changed.
/// </summary>
public sealed partial class AvailabilityCache(
    NpgsqlDataSource dataSource,
    Microsoft.Extensions.Options.IOptions<ReadModelOptions> options,
    ILogger<AvailabilityCache> logger) : BackgroundService, IAvailabilityReadModel
{
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    private ImmutableDictionary<string, (CentreListing Listing, DateTime UpdatedAt)> _listings =
        ImmutableDictionary<string, (CentreListing, DateTime)>.Empty;
    private ImmutableDictionary<(string Centre, string Vaccine), (IReadOnlyList<DayAvailability> Days, DateTime UpdatedAt)> _days =
        ImmutableDictionary<(string, string), (IReadOnlyList<DayAvailability>, DateTime)>.Empty;
    private volatile Snapshot _snapshot = new(0, [], CentresByPlace.Empty);
    private DateTime _since = DateTime.MinValue;

    public long Version => _snapshot.Version;

    public IReadOnlyCollection<CentreAvailability> Centres => _snapshot.Centres;

    public CentresByPlace Places => _snapshot.Places;

    /// <summary>Reads what changed and publishes a new snapshot if anything did.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var since = _since == DateTime.MinValue ? _since : _since - Overlap;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var listings = await connection.QueryAsync<ListingRow>(new CommandDefinition(
            """
            SELECT id AS Id, name AS Name, address AS Address, postcode AS Postcode, city AS City, latitude AS Latitude, longitude AS Longitude,
                   time_zone AS TimeZone, vaccines AS Vaccines, updated_at AS UpdatedAt
            FROM centres WHERE updated_at > @since
            """, new { since }, cancellationToken: cancellationToken));
        // Timestamps first: the overlap brings back every row of the last seconds, and during a flash
        // crowd that is every centre; only the rows this silo has not seen yet are read in full.
        var stamps = (await connection.QueryAsync<(string CentreId, string Vaccine, DateTime UpdatedAt)>(new CommandDefinition(
            "SELECT centre_id, vaccine, updated_at FROM availability WHERE updated_at > @since",
            new { since }, cancellationToken: cancellationToken))).AsList();
        var unseen = stamps.Where(s => !_days.TryGetValue((s.CentreId, s.Vaccine), out var known) || known.UpdatedAt < s.UpdatedAt).ToArray();
        var days = unseen.Length == 0 ? [] : await connection.QueryAsync<DaysRow>(new CommandDefinition(
            """
            SELECT a.centre_id AS CentreId, a.vaccine AS Vaccine, convert_to(a.days, 'UTF8') AS Days, a.updated_at AS UpdatedAt
            FROM availability a JOIN unnest(@centres::text[], @vaccines::text[]) AS k(centre_id, vaccine)
                ON a.centre_id = k.centre_id AND a.vaccine = k.vaccine
            """,
            new { centres = unseen.Select(u => u.CentreId).ToArray(), vaccines = unseen.Select(u => u.Vaccine).ToArray() },
            cancellationToken: cancellationToken));

        var changed = false;
        var latest = _since;
        foreach (var row in listings)
        {
            latest = row.UpdatedAt > latest ? row.UpdatedAt : latest;
            if (!_listings.TryGetValue(row.Id, out var known) || known.UpdatedAt < row.UpdatedAt)
            {
                _listings = _listings.SetItem(row.Id, (new CentreListing(row.Id, row.Name, row.Address, row.Postcode, row.City, row.Latitude, row.Longitude, row.TimeZone, row.Vaccines), row.UpdatedAt));
                changed = true;
            }
        }
        foreach (var stamp in stamps)
        {
            latest = stamp.UpdatedAt > latest ? stamp.UpdatedAt : latest;
        }
        foreach (var row in days)
        {
            var key = (row.CentreId, row.Vaccine);
            if (!_days.TryGetValue(key, out var known) || known.UpdatedAt < row.UpdatedAt)
            {
                _days = _days.SetItem(key, (JsonSerializer.Deserialize<DayAvailability[]>(row.Days, LedgerJson.Options)!, row.UpdatedAt));
                changed = true;
            }
        }
        _since = latest;
        if (changed)
        {
            var centres = Build();
            _snapshot = new Snapshot(_snapshot.Version + 1, centres, new CentresByPlace(centres));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (NpgsqlException ex)
            {
                // Searches keep the last snapshot; the next tick tries again.
                LogRefreshFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private CentreAvailability[] Build() =>
        _listings.Values
            .Select(l => new CentreAvailability(l.Listing, l.Listing.Vaccines.ToDictionary(
                v => v,
                v => _days.TryGetValue((l.Listing.Id, v), out var d) ? d.Days : (IReadOnlyList<DayAvailability>)[])))
            .OrderBy(c => c.Centre.Id, StringComparer.Ordinal)
            .ToArray();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The availability read model could not refresh; searches serve the previous snapshot")]
    private partial void LogRefreshFailed(Exception exception);

    private sealed record Snapshot(long Version, IReadOnlyCollection<CentreAvailability> Centres, CentresByPlace Places);

    private sealed class ListingRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Address { get; set; } = "";
        public string Postcode { get; set; } = "";
        public string City { get; set; } = "";
        public double Latitude { get; set; }
        public double Longitude { get; set; }
        public string TimeZone { get; set; } = "";
        public string[] Vaccines { get; set; } = [];
        public DateTime UpdatedAt { get; set; }
    }

    private sealed class DaysRow
    {
        public string CentreId { get; set; } = "";
        public string Vaccine { get; set; } = "";
        /// <summary>The document's UTF-8 text, parsed without a UTF-16 copy.</summary>
        public byte[] Days { get; set; } = [];
        public DateTime UpdatedAt { get; set; }
    }
}
