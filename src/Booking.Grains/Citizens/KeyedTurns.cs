namespace Booking.Grains.Citizens;

/// <summary>
/// Runs the work for one key at a time, in the order it arrived, while other keys go on: what a
/// grain per key would give, inside one reentrant grain. Only the grain's own scheduler touches it,
/// so it needs no lock; a key is forgotten as soon as nothing waits on it.
/// </summary>
public sealed class KeyedTurns
{
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);

    /// <summary>Keys with work running or waiting.</summary>
    public int Busy => _tails.Count;

    public async Task<T> Run<T>(string key, Func<Task<T>> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = _tails.GetValueOrDefault(key);
        _tails[key] = done.Task;
        try
        {
            if (previous is not null)
            {
                await previous;
            }
            return await work();
        }
        finally
        {
            if (_tails.TryGetValue(key, out var tail) && tail == done.Task)
            {
                _tails.Remove(key);
            }
            done.SetResult();
        }
    }
}
