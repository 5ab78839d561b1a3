using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Booking.Api.Tests;

/// <summary>
/// OpenTelemetry listens to meters by name across the whole process, so a host's /metrics also
/// counts the writers of every other test host alive at the time, and loses their counts when they
/// stop. These tests run alone, after the parallel ones, when no other host is starting or stopping.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsAlone
{
    public const string Name = "metrics, with no other host running";
}

/// <summary>/metrics: the group-commit writer's batches, requests and the runtime, for the operator key only.</summary>
[Collection(MetricsAlone.Name)]
public sealed partial class MetricsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Only_the_operator_key_reads_the_metrics()
    {
        using var anonymous = api.WithKey(null);
        using var none = await anonymous.GetAsync("/metrics");
        await Expect.ProblemAsync(none, HttpStatusCode.Unauthorized, "unauthorized");
        using var portal = api.Portal();
        using var refused = await portal.GetAsync("/metrics");
        await Expect.ProblemAsync(refused, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Each_decision_shows_in_the_writer_s_batches_at_the_next_scrape()
    {
        using var op = api.Operator();
        var before = await op.GetStringAsync("/metrics");

        await api.CreateCentreAsync(new CentreSpec(), DeliverySpec.Today(10));
        var after = await op.GetStringAsync("/metrics");

        // Two decisions, each committed before its answer; the writer may have carried others too.
        Assert.True(Value(after, "booking_ledger_batch_decisions_sum") >= Value(before, "booking_ledger_batch_decisions_sum") + 2);
        Assert.True(Value(after, "booking_ledger_batch_decisions_count") > Value(before, "booking_ledger_batch_decisions_count"));
        Assert.Equal(Value(after, "booking_ledger_batch_decisions_count"), Value(after, "booking_ledger_batch_duration_seconds_count"));
        Assert.Contains("booking_ledger_waiting{", after, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", after, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total{", after, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hosting_s_request_log_is_off_so_that_no_request_starts_an_activity_for_it()
    {
        // ASP.NET Core starts an Activity for every request while this logger is enabled at any level.
        var logger = api.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");

        Assert.False(logger.IsEnabled(LogLevel.Critical));
    }

    /// <summary>A sample's value; 0 for a series not yet exported (no batch since the host started).</summary>
    private static double Value(string scrape, string name) =>
        Sample().Matches(scrape).SingleOrDefault(m => m.Groups["name"].Value == name) is { } match
            ? double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)
            : 0;

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{[^}]*\} (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
