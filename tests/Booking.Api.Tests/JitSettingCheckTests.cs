using Booking.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Booking.Api.Tests;

/// <summary>The API says at start when it was launched without counting calls at once.</summary>
public sealed class JitSettingCheckTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static (JitSettingCheck Check, CapturedLogs Logs) Check(Dictionary<string, string> environment)
    {
        var logs = new CapturedLogs();
        var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        return (new JitSettingCheck(factory.CreateLogger<JitSettingCheck>(), name => environment.GetValueOrDefault(name)), logs);
    }

    [Theory]
    [InlineData("DOTNET_TC_CallCountingDelayMs", "0")]
    [InlineData("COMPlus_TC_CallCountingDelayMs", " 0 ")]
    public async Task Counting_calls_at_once_starts_quietly(string name, string value)
    {
        var (check, logs) = Check(new() { [name] = value });

        await check.StartAsync(CancellationToken.None);

        Assert.True(check.CountsCallsAtOnce);
        Assert.Empty(logs.Lines);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("100")]
    [InlineData("")]
    public async Task Without_it_the_start_warns_once(string? value)
    {
        var (check, logs) = Check(value is null ? [] : new() { [JitSettingCheck.Variable] = value });

        await check.StartAsync(CancellationToken.None);

        Assert.False(check.CountsCallsAtOnce);
        Assert.Equal(
            [$"Warning {typeof(JitSettingCheck).FullName}: Started without DOTNET_TC_CallCountingDelayMs=0 in the environment: after a cold start under load, hot code stays unoptimised for tens of seconds and bookings are slower meanwhile (README, Configuration) "],
            logs.Lines);
    }

    [Fact]
    public void The_host_runs_the_check_at_start()
    {
        Assert.Single(api.Services.GetServices<IHostedService>().OfType<JitSettingCheck>());
    }
}
