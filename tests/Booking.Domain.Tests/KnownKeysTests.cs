using Booking.Grains.Citizens;

namespace Booking.Domain.Tests;

public sealed class KnownKeysTests
{
    [Fact]
    public void Only_the_first_sight_of_a_key_is_a_first_sight()
    {
        var seen = new KnownKeys();

        Assert.True(seen.FirstSight("identity-a"));
        Assert.False(seen.FirstSight("identity-a"));
        Assert.True(seen.FirstSight("identity-b"));
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void A_stored_key_is_never_a_first_sight()
    {
        var seen = new KnownKeys();
        seen.AddStored("portal\nkey-1");

        Assert.False(seen.FirstSight("portal\nkey-1"));
        Assert.True(seen.FirstSight("portal\nkey-2"));
    }

    [Fact]
    public void Keys_that_differ_in_one_character_are_different_keys()
    {
        var seen = new KnownKeys();
        var keys = Enumerable.Range(0, 10_000).Select(i => $"identity-{i:D5}").ToArray();
        foreach (var key in keys)
        {
            seen.AddStored(key);
        }

        Assert.All(keys, key => Assert.False(seen.FirstSight(key)));
        Assert.Equal(10_000, seen.Count);
        Assert.True(seen.FirstSight("identity-10000"));
    }
}
