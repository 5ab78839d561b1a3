using System.Globalization;
using System.Net;

namespace Booking.LoadTests;

public enum SystemKind { Grains, Baseline }

/// <summary>Command-line options of every scenario. Unknown options are refused, so a typo never runs a different test.</summary>
public sealed class Options
{
    public const string DefaultTarget = "http://127.0.0.1:5080";
    public const string DefaultBaselineTarget = "http://127.0.0.1:5180";

    public string Scenario { get; set; } = "help";
    /// <summary>The front doors of the system under test: one API, or the API of each silo of a
    /// cluster. Seeding and the checks before a run go through the first; a run spreads its calls
    /// over all of them, as a load balancer in front of the cluster would.</summary>
    public IReadOnlyList<Uri> Targets { get; set; } = [new(DefaultTarget)];

    /// <summary>The first front door; setting it leaves it the only one.</summary>
    public Uri Target
    {
        get => Targets[0];
        set => Targets = [value];
    }

    public SystemKind System { get; set; } = SystemKind.Grains;

    // Seeding
    public int Centres { get; set; } = 1300;
    public bool Hot { get; set; }

    /// <summary>compare: the national scenario instead of the hot one.</summary>
    public bool National { get; set; }
    public double StockFactor { get; set; } = 1.0;
    public string? Prefix { get; set; }
    public int SeedConcurrency { get; set; } = 64;
    public string? Manifest { get; set; }
    public int RandomSeed { get; set; } = 20210114;

    // Load
    public double Rate { get; set; } = 2000;
    public double Ramp { get; set; } = 10;
    public double Duration { get; set; } = 60;
    public int MaxInFlight { get; set; } = 20_000;
    public int Connections { get; set; } = 256;
    public double Browse { get; set; } = 0.5;
    public double? Search { get; set; }
    public double Cancel { get; set; } = 0.03;
    public double Reschedule { get; set; } = 0.03;
    public bool SupplyCut { get; set; }
    public double ListingTtl { get; set; } = 2.0;
    public int ListingDays { get; set; } = 7;
    public double Drain { get; set; } = 30;

    // Sweep: --rate is the first step
    public double Step { get; set; } = 500;
    public double To { get; set; } = 5000;
    public double P99Objective { get; set; } = 20;

    // Reads
    public int Concurrency { get; set; } = 64;
    public int ReadDays { get; set; } = 1;

    // Audit and report
    public string? Db { get; set; }
    public bool NoAudit { get; set; }
    public string? Out { get; set; }
    public string? Refs { get; set; }
    public bool Plain { get; set; }

    // Compare
    public Uri BaselineTarget { get; set; } = new(DefaultBaselineTarget);
    public string? BaselineDb { get; set; }
    public bool StartBaseline { get; set; } = true;

    public string PortalKey { get; set; } = "dev-portal-key";
    public string OperatorKey { get; set; } = "dev-operator-key";

    /// <summary>Centre searches per booking arrival: one in a national run unless told otherwise,
    /// against either system; none in the hot scenario, which measures contention.</summary>
    public double SearchesPerBooking => Search ?? (Hot ? 0.0 : 1.0);

    public Options Clone() => (Options)MemberwiseClone();

    public static Options Parse(string[] args)
    {
        var o = new Options();
        if (args.Length == 0)
        {
            return o;
        }
        o.Scenario = args[0].ToLowerInvariant();
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            string Value()
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{name} needs a value.");
                }
                return args[++i];
            }
            double Number() => double.Parse(Value(), CultureInfo.InvariantCulture);
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            switch (name)
            {
                case "--target": o.Targets = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => new Uri(t)).ToArray(); break;
                case "--system": o.System = Value().ToLowerInvariant() switch
                {
                    "grains" => SystemKind.Grains,
                    "baseline" => SystemKind.Baseline,
                    var s => throw new ArgumentException($"--system grains|baseline, not '{s}'."),
                }; break;
                case "--centres": o.Centres = Int(); break;
                case "--hot": o.Hot = true; break;
                case "--national": o.National = true; break;
                case "--tight": o.StockFactor = 0.6; break;
                case "--stock-factor": o.StockFactor = Number(); break;
                case "--prefix": o.Prefix = Value(); break;
                case "--seed-concurrency": o.SeedConcurrency = Int(); break;
                case "--manifest": o.Manifest = Value(); break;
                case "--random-seed": o.RandomSeed = Int(); break;
                case "--rate": o.Rate = Number(); break;
                case "--ramp": o.Ramp = Number(); break;
                case "--duration": o.Duration = Number(); break;
                case "--max-inflight": o.MaxInFlight = Int(); break;
                case "--connections": o.Connections = Int(); break;
                case "--browse": o.Browse = Number(); break;
                case "--search": o.Search = Number(); break;
                case "--cancel": o.Cancel = Number(); break;
                case "--reschedule": o.Reschedule = Number(); break;
                case "--supply-cut": o.SupplyCut = true; break;
                case "--listing-ttl": o.ListingTtl = Number(); break;
                case "--listing-days": o.ListingDays = Int(); break;
                case "--drain": o.Drain = Number(); break;
                case "--step": o.Step = Number(); break;
                case "--to": o.To = Number(); break;
                case "--p99": o.P99Objective = Number(); break;
                case "--concurrency": o.Concurrency = Int(); break;
                case "--read-days": o.ReadDays = Int(); break;
                case "--db": o.Db = Value(); break;
                case "--no-audit": o.NoAudit = true; break;
                case "--out": o.Out = Value(); break;
                case "--refs": o.Refs = Value(); break;
                case "--plain": o.Plain = true; break;
                case "--baseline-target": o.BaselineTarget = new Uri(Value()); break;
                case "--baseline-db": o.BaselineDb = Value(); break;
                case "--no-start-baseline": o.StartBaseline = false; break;
                case "--portal-key": o.PortalKey = Value(); break;
                case "--operator-key": o.OperatorKey = Value(); break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }
        o.Validate();
        return o;
    }

    private void Validate()
    {
        Check(Targets.Count is >= 1 and <= 16, "--target: one to 16 front doors, separated by commas.");
        foreach (var target in Targets)
        {
            RequireLoopback(target, "--target");
        }
        Check(Targets.Distinct().Count() == Targets.Count, "--target: each front door once.");
        RequireLoopback(BaselineTarget, "--baseline-target");
        Check(Centres is >= 1 and <= 20_000, "--centres: 1 to 20,000.");
        Check(!National || (Scenario == "compare" && !Hot), "--national: only with compare, and not with --hot.");
        Check(Rate is > 0 and <= 200_000, "--rate: above 0, at most 200,000 per second.");
        Check(Duration is > 0 and <= 3600, "--duration: above 0, at most 3,600 s.");
        // reads runs closed loops without a ramp: its phases may be shorter than the default ramp.
        Check(Ramp is >= 0 && (Ramp <= Duration || Scenario == "reads"), "--ramp: from 0 to the duration.");
        Check(MaxInFlight is >= 1 and <= 200_000, "--max-inflight: 1 to 200,000.");
        Check(Connections is >= 1 and <= 10_000, "--connections: 1 to 10,000.");
        Check(SeedConcurrency is >= 1 and <= 1024, "--seed-concurrency: 1 to 1,024.");
        Check(Concurrency is >= 1 and <= 4096, "--concurrency: 1 to 4,096.");
        Check(Browse is >= 0 and <= 100 && Cancel is >= 0 and <= 1 && Reschedule is >= 0 and <= 1 && Cancel + Reschedule <= 1,
            "--browse 0..100, --cancel and --reschedule 0..1 (sum at most 1).");
        Check(Search is null or (>= 0 and <= 100), "--search: 0 to 100 centre searches per booking arrival.");
        Check(StockFactor is > 0 and <= 10, "--stock-factor: above 0, at most 10.");
        Check(ListingDays is >= 1 and <= 31 && ReadDays is >= 1 and <= 31, "--listing-days and --read-days: 1 to 31.");
        Check(Drain is >= 0 and <= 300, "--drain: 0 to 300 s.");
        Check(P99Objective is > 0 and <= 60_000, "--p99: above 0, at most 60,000 ms.");
        Check(Step is > 0 and <= 200_000, "--step: above 0, at most 200,000 per second.");
        Check(Scenario != "sweep" || (To >= Rate && To <= 200_000 && (To - Rate) / Step < Sweep.MaxSteps),
            $"--to: from --rate up to 200,000 per second, at most {Sweep.MaxSteps} steps of --step.");
        Check(Prefix is null || global::System.Text.RegularExpressions.Regex.IsMatch(Prefix, "^[a-z0-9][a-z0-9-]{0,20}$"),
            "--prefix: lower-case letters, digits and hyphens, at most 21 characters.");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }

    /// <summary>Load only ever goes to this machine: 127.0.0.0/8, ::1 or the name localhost. Names are not resolved.</summary>
    public static void RequireLoopback(Uri target, string option)
    {
        if (!IsLoopback(target))
        {
            throw new ArgumentException($"{option} must be a loopback address (127.0.0.0/8, localhost or [::1]); refusing {target}.");
        }
    }

    public static bool IsLoopback(Uri target)
    {
        if (target.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(target.UserInfo))
        {
            return false;
        }
        var host = target.IdnHost.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)
            && (ip.AddressFamily != global::System.Net.Sockets.AddressFamily.InterNetwork || ip.GetAddressBytes()[0] == 127);
    }
}
