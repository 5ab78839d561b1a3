namespace Booking.LoadTests.Tests;

public class OptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://127.8.9.10:5080")]
    [InlineData("http://localhost:5080")]
    [InlineData("https://LOCALHOST")]
    [InlineData("http://[::1]:5080")]
    public void Loopback_targets_are_accepted(string target)
    {
        Assert.True(Options.IsLoopback(new Uri(target)));
        Options.RequireLoopback(new Uri(target), "--target");
        Assert.Equal(new Uri(target), Options.Parse(["run", "--target", target]).Target);
    }

    [Theory]
    [InlineData("http://10.0.0.5:5080")]
    [InlineData("http://192.168.1.20")]
    [InlineData("http://booking.example.org")]
    [InlineData("http://localhost.example.org")]
    [InlineData("http://127.0.0.1.nip.io")]
    [InlineData("http://[2001:db8::1]")]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("http://user:pw@127.0.0.1")]
    public void Other_targets_are_refused(string target)
    {
        Assert.False(Options.IsLoopback(new Uri(target)));
        var e = Assert.Throws<ArgumentException>(() => Options.RequireLoopback(new Uri(target), "--target"));
        Assert.StartsWith("--target must be a loopback address", e.Message);
        Assert.Throws<ArgumentException>(() => Options.Parse(["run", "--target", target]));
        Assert.Throws<ArgumentException>(() => Options.Parse(["compare", "--baseline-target", target]));
    }

    [Fact]
    public void Several_front_doors_are_taken_in_order_the_first_being_the_target()
    {
        var o = Options.Parse(["run", "--target", "http://127.0.0.1:5080, http://127.0.0.1:5081"]);

        Assert.Equal([new Uri("http://127.0.0.1:5080"), new Uri("http://127.0.0.1:5081")], o.Targets);
        Assert.Equal(new Uri("http://127.0.0.1:5080"), o.Target);
        o.Target = new Uri("http://127.0.0.1:5180");
        Assert.Equal([new Uri("http://127.0.0.1:5180")], o.Targets);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080,http://10.0.0.5:5081", "--target must be a loopback address")]
    [InlineData("http://127.0.0.1:5080,http://127.0.0.1:5080", "--target: each front door once.")]
    [InlineData(",", "--target: one to 16 front doors")]
    public void A_list_of_front_doors_is_refused_whole_for_one_wrong_member(string targets, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Options.Parse(["run", "--target", targets]));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Values_in_range_are_parsed()
    {
        var o = Options.Parse(["Run", "--rate", "1500.5", "--ramp", "5", "--duration", "30", "--system", "baseline",
            "--cancel", "0.4", "--reschedule", "0.6", "--prefix", "h-01", "--max-inflight", "1"]);
        Assert.Equal("run", o.Scenario);
        Assert.Equal(1500.5, o.Rate);
        Assert.Equal(5, o.Ramp);
        Assert.Equal(30, o.Duration);
        Assert.Equal(SystemKind.Baseline, o.System);
        Assert.Equal(0.4, o.Cancel);
        Assert.Equal(0.6, o.Reschedule);
        Assert.Equal("h-01", o.Prefix);
        Assert.Equal(1, o.MaxInFlight);
    }

    [Theory]
    [InlineData("--rate", "0")]
    [InlineData("--rate", "-5")]
    [InlineData("--rate", "200001")]
    [InlineData("--duration", "0")]
    [InlineData("--duration", "3601")]
    [InlineData("--ramp", "-1")]
    [InlineData("--ramp", "61")]
    [InlineData("--centres", "0")]
    [InlineData("--centres", "20001")]
    [InlineData("--max-inflight", "0")]
    [InlineData("--connections", "10001")]
    [InlineData("--cancel", "1.5")]
    [InlineData("--stock-factor", "0")]
    [InlineData("--listing-days", "32")]
    [InlineData("--drain", "301")]
    [InlineData("--prefix", "Upper")]
    [InlineData("--system", "postgres")]
    public void Values_out_of_range_are_refused(string option, string value)
    {
        // The default duration is 60 s, so a 61-s ramp is longer than the run.
        Assert.Throws<ArgumentException>(() => Options.Parse(["run", option, value]));
    }

    [Fact]
    public void Cancel_and_reschedule_shares_cannot_exceed_one_together()
    {
        Options.Parse(["run", "--cancel", "0.5", "--reschedule", "0.5"]);
        Assert.Throws<ArgumentException>(() => Options.Parse(["run", "--cancel", "0.5", "--reschedule", "0.6"]));
    }

    [Fact]
    public void Searches_default_to_one_per_booking_in_a_national_run_on_either_system_and_to_none_in_the_hot_scenario()
    {
        Assert.Equal(1.0, Options.Parse(["run"]).SearchesPerBooking);
        Assert.Equal(1.0, Options.Parse(["launch"]).SearchesPerBooking);
        Assert.Equal(1.0, Options.Parse(["run", "--system", "baseline"]).SearchesPerBooking);
        Assert.Equal(0.0, Options.Parse(["run", "--hot"]).SearchesPerBooking);
        Assert.Equal(0.0, Options.Parse(["run", "--hot", "--system", "baseline"]).SearchesPerBooking);
        Assert.Equal(2.5, Options.Parse(["run", "--search", "2.5"]).SearchesPerBooking);
        Assert.Equal(0.5, Options.Parse(["run", "--hot", "--search", "0.5"]).SearchesPerBooking);
        Assert.Equal(0.5, Options.Parse(["run", "--system", "baseline", "--search", "0.5"]).SearchesPerBooking);
        Assert.Equal(0.0, Options.Parse(["run", "--search", "0"]).SearchesPerBooking);
        Assert.Equal(0.5, Options.Parse(["compare", "--search", "0.5"]).SearchesPerBooking);
    }

    [Fact]
    public void Compare_takes_the_national_scenario_with_its_searches_when_asked()
    {
        var national = Options.Parse(["compare", "--national"]);

        Assert.Equal((true, false, 1.0), (national.National, national.Hot, national.SearchesPerBooking));
        Assert.False(Options.Parse(["compare"]).National);
    }

    [Theory]
    [InlineData("run", "--national")]
    [InlineData("launch", "--national")]
    [InlineData("compare", "--national", "--hot")]
    public void National_is_only_for_compare_and_not_with_hot(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => Options.Parse(args));
        Assert.StartsWith("--national:", e.Message);
    }

    [Theory]
    [InlineData("run", "--search", "-1")]
    [InlineData("run", "--search", "101")]
    public void Searches_out_of_range_are_refused(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => Options.Parse(args));
        Assert.StartsWith("--search:", e.Message);
    }

    [Fact]
    public void Reads_have_no_ramp_so_a_short_duration_is_accepted()
    {
        Assert.Equal(5, Options.Parse(["reads", "--duration", "5"]).Duration);
        Assert.Throws<ArgumentException>(() => Options.Parse(["run", "--duration", "5"]));
    }

    [Fact]
    public void A_sweep_takes_its_first_rate_its_step_its_last_rate_and_its_objective()
    {
        var o = Options.Parse(["sweep", "--rate", "500", "--step", "250", "--to", "3000", "--p99", "15"]);

        Assert.Equal(("sweep", 500.0, 250.0, 3000.0, 15.0), (o.Scenario, o.Rate, o.Step, o.To, o.P99Objective));
        Assert.Equal((500.0, 5000.0, 20.0), (Options.Parse(["run"]).Step, Options.Parse(["run"]).To, Options.Parse(["run"]).P99Objective));
    }

    [Theory]
    [InlineData("sweep", "--rate", "2000", "--to", "1000")]
    [InlineData("sweep", "--rate", "100", "--step", "10", "--to", "5000")]
    [InlineData("sweep", "--to", "200001")]
    public void A_sweep_must_rise_and_stay_within_its_number_of_steps(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => Options.Parse(args));
        Assert.StartsWith("--to:", e.Message);
    }

    [Theory]
    [InlineData("--step", "0")]
    [InlineData("--p99", "0")]
    [InlineData("--p99", "60001")]
    public void Sweep_values_out_of_range_are_refused(string option, string value)
    {
        Assert.Throws<ArgumentException>(() => Options.Parse(["sweep", option, value]));
    }

    [Fact]
    public void Unknown_options_and_missing_values_are_refused()
    {
        Assert.Equal("Unknown option '--rates'.", Assert.Throws<ArgumentException>(() => Options.Parse(["run", "--rates", "10"])).Message);
        Assert.Equal("--rate needs a value.", Assert.Throws<ArgumentException>(() => Options.Parse(["run", "--rate"])).Message);
    }
}
