namespace Booking.Api.Infrastructure;

/// <summary>
/// Warns at start when the runtime counts calls only after its default 100 ms without new tier-0
/// code. Under load from a cold start that quiet never comes, hot code stays unoptimised for tens
/// of seconds, and the first minute's booking p99 was 97–509 ms at 1,000 pairs/s instead of
/// 22–29 ms (loadtests/README.md, fifteenth round). The setting can only come from the environment,
/// which this process cannot change for itself; run.sh sets it, and so must any other launcher.
/// </summary>
public sealed partial class JitSettingCheck(ILogger<JitSettingCheck> logger, Func<string, string?>? environment = null) : IHostedService
{
    public const string Variable = "DOTNET_TC_CallCountingDelayMs";

    // The runtime reads its settings under either prefix.
    private static readonly string[] Names = [Variable, "COMPlus_TC_CallCountingDelayMs"];

    private readonly Func<string, string?> _environment = environment ?? Environment.GetEnvironmentVariable;

    /// <summary>Whether the runtime was started counting calls at once.</summary>
    public bool CountsCallsAtOnce => Names.Any(name => _environment(name)?.Trim() == "0");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!CountsCallsAtOnce)
        {
            LogSlowToOptimise(Variable);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Started without {Variable}=0 in the environment: after a cold start under load, hot code stays unoptimised for tens of seconds and bookings are slower meanwhile (README, Configuration)")]
    private partial void LogSlowToOptimise(string variable);
}
