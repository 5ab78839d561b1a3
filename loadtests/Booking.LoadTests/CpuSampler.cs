using System.Globalization;

namespace Booking.LoadTests;

/// <summary>CPU seconds used during a run, split between the load tool, the processes that listen on the
/// target ports (each silo's API of a cluster), the PostgreSQL server that listens on the database port (with its backends) and everything
/// else on the machine. Read from /proc; empty where /proc is not there.</summary>
public sealed class CpuSampler
{
    private static readonly double Hz = 100.0; // USER_HZ on Linux
    private readonly int[] _apiPorts;
    private readonly int? _dbPort;
    private Dictionary<string, double> _start = new();
    private double _startTotal;
    private DateTime _startedAt;

    public CpuSampler(int apiPort, int? dbPort)
        : this([apiPort], dbPort)
    {
    }

    public CpuSampler(IEnumerable<int> apiPorts, int? dbPort)
    {
        _apiPorts = apiPorts.ToArray();
        _dbPort = dbPort;
    }

    public void Start()
    {
        (_start, _startTotal) = Snapshot();
        _startedAt = DateTime.UtcNow;
    }

    /// <summary>How long the last window (<see cref="Start"/> to <see cref="Stop"/>) lasted.</summary>
    public double Seconds { get; private set; }

    /// <summary>Per category: share of the machine's cores used since <see cref="Start"/> (1.0 = one core).</summary>
    public Dictionary<string, double> Stop()
    {
        var (end, endTotal) = Snapshot();
        var seconds = Seconds = (DateTime.UtcNow - _startedAt).TotalSeconds;
        var result = new Dictionary<string, double>();
        if (seconds <= 0 || end.Count == 0)
        {
            return result;
        }
        double known = 0;
        foreach (var (name, value) in end)
        {
            var used = Math.Max(0, value - _start.GetValueOrDefault(name)) / seconds;
            result[name] = Math.Round(used, 3);
            known += used;
        }
        var total = Math.Max(0, endTotal - _startTotal) / seconds;
        result["everything else"] = Math.Round(Math.Max(0, total - known), 3);
        result["machine total"] = Math.Round(total, 3);
        return result;
    }

    /// <summary>What each pair confirmed in a window cost each category, in microseconds of one core:
    /// the cores it used times the window's length, over the pairs. The figure to set against the
    /// machine's budget (two cores give 200 µs a pair at 10,000 pairs a second).</summary>
    public static Dictionary<string, double> PerPair(IReadOnlyDictionary<string, double> cores, double seconds, long pairs) =>
        pairs <= 0 || seconds <= 0
            ? []
            : cores.ToDictionary(p => p.Key, p => Math.Round(p.Value * seconds * 1_000_000 / pairs));

    private (Dictionary<string, double> ByCategory, double Total) Snapshot()
    {
        var result = new Dictionary<string, double>();
        if (!Directory.Exists("/proc"))
        {
            return (result, 0);
        }
        var self = Environment.ProcessId;
        var apiPids = _apiPorts.Select(ListenerPid).OfType<int>().ToHashSet();
        var pgPid = _dbPort is { } p ? ListenerPid(p) : null;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || ReadStat(pid) is not { } stat)
            {
                continue;
            }
            if (CategoryOf(pid, stat.Parent, self, apiPids, pgPid) is { } category)
            {
                // Backends that ended during the run leave /proc; the postmaster has reaped them, and
                // their CPU is in its children's time, so the server's share counts that too.
                result[category] = result.GetValueOrDefault(category) + stat.Cpu + (pid == pgPid ? stat.ReapedChildrenCpu : 0);
            }
        }
        var total = 0.0;
        try
        {
            var parts = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
            var values = parts.Skip(1).Take(8).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            total = (values.Sum() - values[3] - values[4]) / Hz;
        }
        catch (IOException)
        {
            // No /proc/stat (not Linux): the machine total stays unknown (0) and the split is still reported.
            return (result, 0);
        }
        return (result, total);
    }

    /// <summary>Where a process's CPU counts: the tool itself, any process listening on a target port
    /// (each silo's API), the PostgreSQL server with its backends (its children), or nowhere by name.</summary>
    public static string? CategoryOf(int pid, int parent, int self, IReadOnlySet<int> apiPids, int? pgPid) =>
        pid == self ? "load tool"
        : apiPids.Contains(pid) ? "system under test (API process)"
        : pgPid is { } pg && (pid == pg || parent == pg) ? "PostgreSQL (its server and backends)"
        : null;

    private static ProcessStat? ReadStat(int pid)
    {
        try
        {
            return ParseStat(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The process ended between listing /proc and reading it: it is no longer counted.
            return null;
        }
    }

    /// <summary>CPU seconds of a process and of its reaped children, and its parent, from the text of /proc/[pid]/stat.</summary>
    public static ProcessStat ParseStat(string text)
    {
        // After "pid (comm) ", field 3 (state) is index 0: ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        double Seconds(int field) => double.Parse(fields[field - 3], CultureInfo.InvariantCulture) / Hz;
        return new ProcessStat(Seconds(14) + Seconds(15), Seconds(16) + Seconds(17), int.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The process holding the socket that listens on 127.0.0.1:<paramref name="port"/> (or any address).</summary>
    public static int? ListenerPid(int port)
    {
        var inodes = new HashSet<string>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "0A" && int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    inodes.Add($"socket:[{f[9]}]");
                }
            }
        }
        if (inodes.Count == 0)
        {
            return null;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"{dir}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target))
                    {
                        return pid;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read: it is not the listener we look for.
                continue;
            }
        }
        return null;
    }
}

public sealed record ProcessStat(double Cpu, double ReapedChildrenCpu, int Parent);
