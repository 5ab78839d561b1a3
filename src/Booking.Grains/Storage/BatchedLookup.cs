using System.Threading.Channels;

namespace Booking.Grains.Storage;

/// <summary>
/// Look-ups by key that share round trips: while one query is in flight, the keys asked for
/// meanwhile gather, and the next query answers all of them. Like the ledger writer, the batch
/// grows with the load, so a crowd of new citizens costs a few queries a second, not one each.
/// </summary>
public sealed class BatchedLookup<TKey, TValue> where TKey : notnull where TValue : class
{
    private const int MaxBatch = 2048;

    private readonly Func<IReadOnlyList<TKey>, Task<IReadOnlyDictionary<TKey, TValue>>> _query;
    private readonly Channel<(TKey Key, TaskCompletionSource<TValue?> Answer)> _pending =
        Channel.CreateUnbounded<(TKey, TaskCompletionSource<TValue?>)>(new UnboundedChannelOptions { SingleReader = true });
    private int _started;

    /// <param name="query">Finds the values of many keys at once; a key it leaves out has no value.</param>
    public BatchedLookup(Func<IReadOnlyList<TKey>, Task<IReadOnlyDictionary<TKey, TValue>>> query) => _query = query;

    public Task<TValue?> FindAsync(TKey key)
    {
        var answer = new TaskCompletionSource<TValue?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Writer.TryWrite((key, answer));
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(AnswerLoop);
        }
        return answer.Task;
    }

    private async Task AnswerLoop()
    {
        var batch = new List<(TKey Key, TaskCompletionSource<TValue?> Answer)>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            try
            {
                var found = await _query(batch.Select(b => b.Key).Distinct().ToArray());
                foreach (var (key, answer) in batch)
                {
                    answer.TrySetResult(found.GetValueOrDefault(key));
                }
            }
            catch (Exception ex)
            {
                // Every caller of the failed query sees the failure; none is answered "not found".
                foreach (var (_, answer) in batch)
                {
                    answer.TrySetException(ex);
                }
            }
        }
    }
}
