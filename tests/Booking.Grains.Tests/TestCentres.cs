using Booking.Abstractions;

namespace Booking.Grains.Tests;

/// <summary>Centres and citizens for grain tests: one line, open every day, Paris time.</summary>
internal static class TestCentres
{
    public static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    public static CentreDefinition OneLine(string name) => new(
        name, "1 rue de la Paix", "75002", "Paris", 48.87, 2.33, "Europe/Paris", 1, 30,
        Enum.GetValues<DayOfWeek>().Select(d => new OpeningPeriod(d, new TimeOnly(9, 0), new TimeOnly(12, 0))).ToArray(),
        [], ["pfizer"], 28, false);

    public static async Task<ICentreGrain> CreateAsync(IGrainFactory grains, string centreId, int doses = 100)
    {
        var centre = grains.GetGrain<ICentreGrain>(centreId);
        var configured = await centre.Configure(OneLine(centreId));
        Assert.True(configured.Succeeded, configured.Problem?.Detail);
        var delivered = await centre.AddDelivery(new DeliveryInfo("", "pfizer", Today(), doses, "confirmed"));
        Assert.True(delivered.Succeeded, delivered.Problem?.Detail);
        return centre;
    }

    public static DateOnly Today() => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Paris).DateTime);

    /// <summary>A slot start <paramref name="days"/> days ahead at <paramref name="hour"/>:<paramref name="minute"/>, Paris time.</summary>
    public static DateTimeOffset At(int days, int hour, int minute = 0)
    {
        var local = Today().AddDays(days).ToDateTime(new TimeOnly(hour, minute));
        return new DateTimeOffset(local, Paris.GetUtcOffset(local));
    }

    public static BookPairCommand Pair(string person, DateTimeOffset first, DateTimeOffset? second = null) =>
        new("pfizer", first, second ?? first.AddDays(21), Citizen(person), null);

    public static CitizenKeys Citizen(string person) => new("identity-" + person, "birth-" + person);

    /// <summary>The citizen shard that the person's identity belongs to.</summary>
    public static ICitizenShardGrain Citizens(IGrainFactory grains, string person) =>
        grains.GetGrain<ICitizenShardGrain>(Shards.Of(Citizen(person).IdentityKey));

    /// <summary>The centre answers 503 until its broken activation is gone; a portal retries the same way.</summary>
    public static async Task<Result<BookingInfo>> RetryWhileRecovering(Func<Task<Result<BookingInfo>>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (StorageUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Yield();
            }
        }
    }
}
