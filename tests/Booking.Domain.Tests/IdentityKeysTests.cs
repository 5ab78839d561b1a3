using System.Security.Cryptography;
using System.Text;
using Booking.Grains.Domain;

namespace Booking.Domain.Tests;

public sealed class IdentityKeysTests
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    /// <summary>The stored claims and checks are these hashes: a change of format would orphan them.</summary>
    private static string Expected(string input) => Convert.ToHexStringLower(HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes(input)));

    [Fact]
    public void Keys_are_the_keyed_hash_of_the_normalised_person()
    {
        var keys = new IdentityKeys(Secret);

        Assert.Equal(Expected("person|DUPONT LAJOIE|JEAN PIERRE|1970-01-31"), keys.ForPerson("Dupont-Lajoie", "Jean  Pierre", new DateOnly(1970, 1, 31)));
        Assert.Equal(Expected("person|DUPONT LAJOIE|JEAN PIERRE|1970-01-31"), keys.ForPerson("DUPONT LAJOIE", "jean-pierre", new DateOnly(1970, 1, 31)));
        Assert.Equal(Expected("person|LOEUVRE|ELODIE|1985-06-02"),
            keys.ForPerson("Lœuvre", "Élodie", new DateOnly(1985, 6, 2)));
        Assert.Equal(Expected("birth-date|1970-01-31"), keys.BirthDateCheck(new DateOnly(1970, 1, 31)));
        Assert.Equal(Expected("health-number|1700175123456"), keys.ForHealthNumber("1 70 01 75 123 456"));
        Assert.Equal(Expected("{\"a\":1}"), keys.Fingerprint("{\"a\":1}"u8));
    }

    [Fact]
    public async Task Hashes_stay_right_when_many_threads_share_the_keys()
    {
        var keys = new IdentityKeys(Secret);
        var inputs = Enumerable.Range(0, 4_000).Select(i => new DateOnly(1940, 1, 1).AddDays(i)).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
            inputs.Skip(worker).Concat(inputs.Take(worker)).Select(d => (d, keys.BirthDateCheck(d))).ToArray())));

        Assert.All(results.SelectMany(r => r), r => Assert.Equal(Expected($"birth-date|{r.d:yyyy-MM-dd}"), r.Item2));
    }
}
