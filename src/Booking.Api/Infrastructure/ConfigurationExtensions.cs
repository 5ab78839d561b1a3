namespace Booking.Api.Infrastructure;

public static class ConfigurationExtensions
{
    public static string BookingConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString("Booking")
        ?? throw new InvalidOperationException("ConnectionStrings:Booking is not configured.");
}
