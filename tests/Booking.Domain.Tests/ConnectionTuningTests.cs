using Booking.Grains;
using Npgsql;

namespace Booking.Domain.Tests;

/// <summary>The engine's connections keep their prepared statements and skip the pool's reset,
/// unless the connection string chooses otherwise.</summary>
public sealed class ConnectionTuningTests
{
    private const string Plain = "Host=127.0.0.1;Port=5432;Username=booking;Database=booking;Maximum Pool Size=16";

    [Fact]
    public void A_plain_connection_string_gets_prepared_statements_and_no_reset()
    {
        var tuned = new NpgsqlConnectionStringBuilder(BookingGrainsServices.Tuned(Plain));

        Assert.Equal(64, tuned.MaxAutoPrepare);
        Assert.Equal(2, tuned.AutoPrepareMinUsages);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(16, tuned.MaxPoolSize);
        Assert.Equal("booking", tuned.Database);
    }

    [Theory]
    [InlineData(";Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData(";maxautoprepare=0;NoResetOnClose=false")]
    public void Settings_the_connection_string_makes_itself_are_kept(string settings)
    {
        var tuned = new NpgsqlConnectionStringBuilder(BookingGrainsServices.Tuned(Plain + settings));

        Assert.Equal(0, tuned.MaxAutoPrepare);
        Assert.False(tuned.NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=h;Maximum Pool Size=4", true)]
    [InlineData("Host=h;maximumpoolsize=4", true)]
    [InlineData("Host=h;Password='Maximum Pool Size=4'", false)]
    [InlineData("Host=h", false)]
    public void A_setting_counts_as_set_only_as_a_key_of_the_string(string connectionString, bool sets) =>
        Assert.Equal(sets, BookingGrainsServices.Sets(connectionString, "MaximumPoolSize"));
}
