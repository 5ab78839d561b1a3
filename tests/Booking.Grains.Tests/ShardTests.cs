using Booking.Abstractions;
using Dapper;
using Orleans.Runtime;

namespace Booking.Grains.Tests;

/// <summary>
/// Citizen and idempotency shards skip the look-up for a key they have never seen. What they have
/// "seen" includes every row stored for their keys when they activated, and the database's
/// primary key still stops a claim that a shard could not know of.
/// </summary>
public sealed class ShardTests(OneSilo fixture) : IClassFixture<OneSilo>
{
    [Fact]
    public async Task Claims_stored_before_a_shard_activated_block_a_second_booking()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "stored-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var booked = await TestCentres.Citizens(grains, "booked-" + centreId)
            .Book(centreId, TestCentres.Pair("booked-" + centreId, TestCentres.At(3, 9)));
        Assert.True(booked.Succeeded, booked.Problem?.Detail);
        var withShard = "with-shard-" + centreId;
        var withoutShard = "without-shard-" + centreId;
        await using (var db = fixture.OpenDatabase())
        {
            // Written past the shards, as a tool or another activation could: one row names its
            // shard, the other names none and so is read by every shard.
            await db.ExecuteAsync(
                """
                INSERT INTO citizen_bookings (identity_key, reference, centre_id, shard)
                VALUES (@withShard, 'HAND-1', @centreId, @shard), (@withoutShard, 'HAND-2', @centreId, NULL)
                """,
                new
                {
                    withShard = TestCentres.Citizen(withShard).IdentityKey,
                    withoutShard = TestCentres.Citizen(withoutShard).IdentityKey,
                    shard = (short)Shards.Of(TestCentres.Citizen(withShard).IdentityKey),
                    centreId,
                });
        }
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var other = "other-" + centreId;
        await TestCentres.CreateAsync(grains, other);
        foreach (var person in new[] { "booked-" + centreId, withShard, withoutShard })
        {
            var again = await TestCentres.Citizens(grains, person).Book(other, TestCentres.Pair(person, TestCentres.At(4, 10)));
            Assert.Equal(ProblemKind.AlreadyBooked, again.Problem?.Kind);
        }
    }

    [Fact]
    public async Task An_answer_stored_before_a_shard_activated_is_found_for_a_repeated_key()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "answer-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var key = "key-" + centreId;
        await using (var db = fixture.OpenDatabase())
        {
            await db.ExecuteAsync(
                """
                INSERT INTO idempotency (scope, key, request_hash, status_code, response, created_at, shard)
                VALUES ('portal', @key, 'another-request', 201, '{}', now(), @shard)
                """,
                new { key, shard = (short)Shards.Of(Shards.IdempotencyKey("portal", key)) });
        }
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var tag = new IdempotencyTag("portal", key, "this-request");
        var answer = await grains.GetGrain<IIdempotencyShardGrain>(Shards.Of(Shards.IdempotencyKey("portal", key)))
            .Book(centreId, TestCentres.Pair("p-" + centreId, TestCentres.At(3, 9)) with { Idempotency = tag });
        Assert.True(answer.KeyReused);
        Assert.Null(answer.Fresh);
    }

    [Fact]
    public async Task A_claim_the_shard_could_not_know_of_fails_the_second_booking_instead_of_standing()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "guard-" + Guid.NewGuid().ToString("N")[..12];
        var centre = await TestCentres.CreateAsync(grains, centreId);
        var person = "p-" + centreId;
        var shard = TestCentres.Citizens(grains, person);
        // The shard is active, and the claim comes after it read its keys: as when a second
        // activation of the shard, elsewhere, booked the same person a moment ago.
        var neighbour = Enumerable.Range(0, 10_000).Select(i => $"n{i}-{centreId}")
            .First(n => Shards.Of(TestCentres.Citizen(n).IdentityKey) == Shards.Of(TestCentres.Citizen(person).IdentityKey));
        Assert.True((await shard.Book(centreId, TestCentres.Pair(neighbour, TestCentres.At(3, 9)))).Succeeded);
        await using (var db = fixture.OpenDatabase())
        {
            await db.ExecuteAsync(
                "INSERT INTO citizen_bookings (identity_key, reference, centre_id, shard) VALUES (@identity, 'ELSEWHERE', 'elsewhere', @shard)",
                new { identity = TestCentres.Citizen(person).IdentityKey, shard = (short)Shards.Of(TestCentres.Citizen(person).IdentityKey) });
        }

        await Assert.ThrowsAsync<StorageUnavailableException>(() => shard.Book(centreId, TestCentres.Pair(person, TestCentres.At(3, 10))));

        await using var check = fixture.OpenDatabase();
        Assert.Equal(["ELSEWHERE"], await check.QueryAsync<string>(
            "SELECT reference FROM citizen_bookings WHERE identity_key = @identity", new { identity = TestCentres.Citizen(person).IdentityKey }));
        Assert.Equal(1, await check.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM ledger WHERE centre_id = @centreId AND kind = 'pair-booked'", new { centreId }));
        var seat = await TestCentres.RetryWhileRecovering(() => centre.BookPair(TestCentres.Pair("next-" + centreId, TestCentres.At(3, 10))));
        Assert.True(seat.Succeeded, seat.Problem?.Detail);
    }

    [Fact]
    public async Task Rows_record_the_shard_that_owns_them_as_the_database_computes_it()
    {
        var grains = fixture.Cluster.Client;
        var centreId = "owner-" + Guid.NewGuid().ToString("N")[..12];
        await TestCentres.CreateAsync(grains, centreId);
        var person = "p-" + centreId;
        var tag = new IdempotencyTag("portal", "key-" + centreId, "hash");
        var answer = await grains.GetGrain<IIdempotencyShardGrain>(Shards.Of(Shards.IdempotencyKey(tag.Scope, tag.Key)))
            .Book(centreId, TestCentres.Pair(person, TestCentres.At(3, 9)) with { Idempotency = tag });
        Assert.True(answer.Fresh?.Succeeded, answer.Fresh?.Problem?.Detail);

        await using var db = fixture.OpenDatabase();
        var identity = TestCentres.Citizen(person).IdentityKey;
        Assert.Equal(((short)Shards.Of(identity), (short)Shards.Of(identity)), await db.QuerySingleAsync<(short, short)>(
            "SELECT shard, booking_shard(identity_key) FROM citizen_bookings WHERE identity_key = @identity", new { identity }));
        var idempotencyShard = (short)Shards.Of(Shards.IdempotencyKey(tag.Scope, tag.Key));
        Assert.Equal((idempotencyShard, idempotencyShard), await db.QuerySingleAsync<(short, short)>(
            "SELECT shard, booking_shard(scope || E'\\n' || key) FROM idempotency WHERE key = @key", new { key = tag.Key }));
    }

    [Fact]
    public async Task The_database_shards_any_text_as_the_grains_do()
    {
        var random = new Random(20261126);
        string Text() => string.Concat(Enumerable.Range(0, random.Next(0, 40)).Select(_ => char.ConvertFromUtf32(random.Next(4) switch
        {
            0 => random.Next(32, 127),
            1 => random.Next(128, 0xD800),
            2 => random.Next(0xE000, 0x10000),
            _ => random.Next(0x10000, 0x110000),
        })));
        var keys = new[] { "", "a", "portal\nkey-1", "Zoé", "🙂", new string('f', 64) }
            .Concat(Enumerable.Range(0, 500).Select(_ => Text())).ToArray();

        await using var db = fixture.OpenDatabase();
        var shards = await db.QueryAsync<short>(
            "SELECT booking_shard(k) FROM unnest(@keys::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n", new { keys });

        Assert.Equal(keys.Select(k => (short)Shards.Of(k)), shards);
    }
}
