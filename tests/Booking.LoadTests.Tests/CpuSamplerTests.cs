namespace Booking.LoadTests.Tests;

public sealed class CpuSamplerTests
{
    [Fact]
    public void A_stat_line_gives_the_process_time_its_reaped_children_time_and_its_parent()
    {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
        var stat = CpuSampler.ParseStat("4242 (postgres: a (b) c) S 4200 4242 4242 0 -1 4194560 900 12 0 0 250 50 1234 66 20 0 1 0 100 0");

        Assert.Equal(new ProcessStat(3.0, 13.0, 4200), stat);
    }

    [Fact]
    public void The_parent_read_from_stat_is_the_one_proc_status_names()
    {
        var stat = CpuSampler.ParseStat(File.ReadAllText("/proc/self/stat"));

        var parent = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("PPid:", StringComparison.Ordinal))["PPid:".Length..].Trim();
        Assert.Equal(parent, stat.Parent.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Every_front_door_s_process_is_the_system_under_test_and_postgres_children_are_postgres()
    {
        var apis = new HashSet<int> { 300, 301 };

        Assert.Equal("system under test (API process)", CpuSampler.CategoryOf(300, 1, self: 100, apis, pgPid: 200));
        Assert.Equal("system under test (API process)", CpuSampler.CategoryOf(301, 1, self: 100, apis, pgPid: 200));
        Assert.Equal("load tool", CpuSampler.CategoryOf(100, 1, self: 100, apis, pgPid: 200));
        Assert.Equal("PostgreSQL (its server and backends)", CpuSampler.CategoryOf(200, 1, self: 100, apis, pgPid: 200));
        Assert.Equal("PostgreSQL (its server and backends)", CpuSampler.CategoryOf(250, 200, self: 100, apis, pgPid: 200));
        Assert.Null(CpuSampler.CategoryOf(302, 300, self: 100, apis, pgPid: 200));
        Assert.Null(CpuSampler.CategoryOf(250, 200, self: 100, apis, pgPid: null));
    }

    [Fact]
    public void A_pair_costs_each_process_its_cores_times_the_window_over_the_pairs()
    {
        var cores = new Dictionary<string, double> { ["api"] = 1.25, ["machine total"] = 1.9 };

        var perPair = CpuSampler.PerPair(cores, seconds: 40, pairs: 200_000);

        // 1.25 cores for 40 s is 50 s of one core, over 200,000 pairs: 250 µs each.
        Assert.Equal(new Dictionary<string, double> { ["api"] = 250, ["machine total"] = 380 }, perPair);
    }

    [Fact]
    public void Without_a_confirmed_pair_or_a_window_there_is_no_cost_per_pair()
    {
        var cores = new Dictionary<string, double> { ["api"] = 1.0 };

        Assert.Empty(CpuSampler.PerPair(cores, seconds: 30, pairs: 0));
        Assert.Empty(CpuSampler.PerPair(cores, seconds: 0, pairs: 10));
    }
}
