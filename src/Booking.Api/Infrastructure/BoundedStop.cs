namespace Booking.Api.Infrastructure;

/// <summary>
/// Runs the host like <c>Run()</c>, but gives its stop a time limit. Once PostgreSQL is unreachable,
/// the silo retries its last membership updates (shutting down, dead) for minutes, and a process
/// told to stop must not outlive its supervisor's patience: past the limit the process exits
/// without waiting. Nothing acknowledged is lost that way: a decision is answered only after its
/// batch committed, and the other silos declare this one dead by probing it.
/// </summary>
public static partial class BoundedStop
{
    public static async Task RunWithBoundedStopAsync(this WebApplication app)
    {
        var limit = app.Configuration.GetValue("Booking:StopLimit", TimeSpan.FromSeconds(30));
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await app.StartAsync();
        using (app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task;
        }
        var stop = app.StopAsync();
        if (await Task.WhenAny(stop, Task.Delay(limit)) != stop)
        {
            LogStopAbandoned(app.Logger, limit);
            return;
        }
        await stop;
        await app.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The host did not stop within {Limit}; exiting without waiting for it (is PostgreSQL reachable?)")]
    private static partial void LogStopAbandoned(ILogger logger, TimeSpan limit);
}
