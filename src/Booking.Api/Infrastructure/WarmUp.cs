using Booking.Abstractions;
using Booking.Grains;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Booking.Api.Infrastructure;

public sealed class WarmUpOptions
{
    /// <summary>Read every centre and shard back before the silo reports ready.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many are read back at once.</summary>
    public int Parallelism { get; set; } = 8;

    /// <summary>How long after the start readiness waits for it at most: past that, the silo reports
    /// ready while the rest is read back (a directory far larger than a national one, or a slow
    /// database, must not keep a silo out of service).</summary>
    public TimeSpan Limit { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// After a start, every centre and shard would otherwise be read back on its first request, all of
/// them at once while citizens wait: on a national database a cold API confirmed nothing for 3 s
/// and queued for 8. This reads them back first, a few at a time, and readiness waits for it, so
/// that a load balancer sends traffic only to a silo that serves it at full speed. A centre that
/// cannot be read back is logged and left to its first request.
/// </summary>
public sealed partial class WarmUp(
    NpgsqlDataSource dataSource, GrainReferences grains, TimeProvider time, IOptions<WarmUpOptions> options, ILogger<WarmUp> logger)
    : BackgroundService
{
    private readonly long _created = time.GetTimestamp();
    private int _total;
    private int _read;

    /// <summary>Finished, however: read back, disabled, or stopped by a failure or the host's stop.</summary>
    public bool Done => ExecuteTask is { IsCompleted: true };

    /// <summary>Done, or past <see cref="WarmUpOptions.Limit"/> since the host made it.</summary>
    public bool ReadinessMayGoOn => Done || time.GetElapsedTime(_created) >= options.Value.Limit;

    /// <summary>Read back so far, of how many.</summary>
    public (int Read, int Total) Progress => (Volatile.Read(ref _read), Volatile.Read(ref _total));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Enabled)
        {
            await ReadBack(stoppingToken);
        }
    }

    private async Task ReadBack(CancellationToken stoppingToken)
    {
        string[] centres;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
            // The largest first (by the ledger row of their snapshot), so that the longest reads do not come last.
            centres = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT c.id FROM centres c LEFT JOIN centre_snapshots s ON s.centre_id = c.id ORDER BY s.seq DESC NULLS LAST, c.id",
                cancellationToken: stoppingToken))).ToArray();
        }
        catch (NpgsqlException ex)
        {
            LogDirectoryUnreadable(ex);
            return;
        }
        var started = time.GetTimestamp();
        var work = new List<(string Name, Func<Task> Activate)>(centres.Length + 2 * Shards.Count);
        for (var shard = 0; shard < Shards.Count; shard++)
        {
            var id = shard;
            work.Add(($"citizen shard {id}", () => grains.CitizenShard(id).WarmUp()));
            work.Add(($"idempotency shard {id}", () => grains.IdempotencyShard(id).WarmUp()));
        }
        work.AddRange(centres.Select(id => ($"centre {id}", (Func<Task>)(() => grains.Centre(id).Describe()))));
        Volatile.Write(ref _total, work.Count);
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = stoppingToken },
            async (item, _) =>
            {
                try
                {
                    await item.Activate();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Whatever keeps one centre from activating (its storage, a fact it cannot read)
                    // must not keep the silo from serving the others.
                    LogNotReadBack(item.Name, ex);
                }
                Interlocked.Increment(ref _read);
            });
        LogReadBack(centres.Length, Shards.Count * 2, time.GetElapsedTime(started));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Read back {Centres} centres and {Shards} shards in {Elapsed} before reporting ready")]
    private partial void LogReadBack(int centres, int shards, TimeSpan elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read back {Name} at start; its first request will")]
    private partial void LogNotReadBack(string name, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the centres to read back at start; each will be read back on its first request")]
    private partial void LogDirectoryUnreadable(Exception exception);
}
