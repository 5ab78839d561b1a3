using System.Security.Cryptography;

namespace Booking.Grains.Centres;

/// <summary>
/// Booking references: 10 characters from an alphabet without 0/O/1/I, drawn from a
/// cryptographic generator, so they can be read over the phone and cannot be guessed or enumerated.
/// </summary>
public static class BookingReference
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public const int Length = 10;

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);

    public static bool IsWellFormed(string? value) =>
        value is { Length: Length } && value.All(c => Alphabet.Contains(c, StringComparison.Ordinal));
}
