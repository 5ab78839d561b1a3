namespace Booking.LoadTests;

/// <summary>One step of a sweep: the rate offered, what was offered and confirmed a second after the
/// ramp, how many bookings were answered, their p99 (send to answer), what a confirmed pair
/// cost the whole machine in µs of one core (null where /proc could not tell), and the load tool's
/// longest pause of its own, which is in the p99 as if it were the server's.</summary>
public sealed record SweepStep(
    double Rate, double OfferedPerSecond, double ConfirmedPerSecond, long Answered, double BookingP99Ms, double? MachineMicrosecondsPerPair = null,
    double? ToolLongestPauseMs = null)
{
    /// <summary>Share of the offered rate a step must confirm to count as kept up with: a few slot-full refusals are the scenario's, not the system's.</summary>
    public const double KeptUpShare = 0.98;

    /// <summary>Kept up with what was offered, with the booking p99 within the objective.</summary>
    public bool Meets(double p99ObjectiveMs) =>
        Answered > 0 && BookingP99Ms <= p99ObjectiveMs && ConfirmedPerSecond >= KeptUpShare * OfferedPerSecond;
}

/// <summary>What a sweep found: its steps in order and the highest rate that met the objective.</summary>
public sealed record SweepResult(double P99ObjectiveMs, IReadOnlyList<SweepStep> Steps, double? HighestRateMeeting, AuditResult? Audit);

/// <summary>
/// The rate at which bookings stop meeting a latency objective: steps of increasing offered rate on
/// one seed, each an ordinary open-model run, until a step's booking p99 is above the objective or
/// the system no longer keeps up. Launch-day capacity is the highest rate before that step.
/// </summary>
public static class Sweep
{
    public const int MaxSteps = 100;

    /// <summary>From <paramref name="from"/> up to <paramref name="to"/> (included when a step lands on it), by <paramref name="step"/>.</summary>
    public static IReadOnlyList<double> Rates(double from, double to, double step)
    {
        var rates = new List<double>();
        // Counted in steps, not by adding: 0.1 added ten times is not 1.
        for (var k = 0; rates.Count < MaxSteps; k++)
        {
            var rate = from + k * step;
            if (rate > to * (1 + 1e-9))
            {
                break;
            }
            rates.Add(rate);
        }
        return rates;
    }

    /// <summary>The highest rate that met the objective among the steps before the first that did not; null if the first did not.</summary>
    public static double? HighestMeeting(IEnumerable<SweepStep> steps, double p99ObjectiveMs)
    {
        double? highest = null;
        foreach (var step in steps)
        {
            if (!step.Meets(p99ObjectiveMs))
            {
                break;
            }
            highest = Math.Max(highest ?? 0, step.Rate);
        }
        return highest;
    }
}
