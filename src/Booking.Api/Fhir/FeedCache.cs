using Booking.Api.ReadModel;
using Booking.Grains.Domain;

namespace Booking.Api.Fhir;

/// <summary>
/// Holds the last build of the feed. A request rebuilds only when the model changed (and the last
/// build is at least MinRebuildInterval old: under booking load the version moves every second) or
/// when a centre's day has rolled over; concurrent requests wait for the one build.
/// </summary>
public sealed class FeedCache(FhirFeedOptions options, VaccineCatalog catalog)
{
    private readonly FeedBuilder _builder = new(catalog, options);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile FeedSnapshot? _current;

    public async ValueTask<FeedSnapshot> GetAsync(IAvailabilityReadModel model, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_current is { } current && IsFresh(current, model.Version, time.GetUtcNow()))
        {
            return current;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (_current is { } built && IsFresh(built, model.Version, now))
            {
                return built;
            }
            // Version first: if the model moves while we read it, the next request sees a newer version and rebuilds.
            var version = model.Version;
            var snapshot = _builder.Build(version, model.Centres, now);
            _current = snapshot;
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool IsFresh(FeedSnapshot s, long version, DateTimeOffset now) =>
        now < s.ExpiresAt && ((s.Version == version && now < s.StaleAt) || now - s.BuiltAt < options.MinRebuildInterval);
}
