using System.Globalization;

namespace Booking.Api.Fhir;

/// <summary>Settings of the public SMART Scheduling Links feed (section <c>Booking:Feed</c>).</summary>
public sealed record FhirFeedOptions(Uri? PublicBaseUrl, int MaxAgeSeconds, string BookingDeepLink, TimeSpan MinRebuildInterval)
{
    public const string Section = "Booking:Feed";

    /// <summary>Placeholders: {centreId}, {vaccine}, {date} (yyyy-MM-dd), each URL-escaped.</summary>
    public const string DefaultDeepLink = "https://portal.invalid/book?centre={centreId}&vaccine={vaccine}&date={date}";

    /// <summary>Read once at start-up; a bad value stops the app rather than publishing broken URLs.</summary>
    public static FhirFeedOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        Uri? baseUrl = null;
        if (!string.IsNullOrWhiteSpace(section["PublicBaseUrl"]))
        {
            if (!Uri.TryCreate(section["PublicBaseUrl"]!.TrimEnd('/'), UriKind.Absolute, out baseUrl)
                || baseUrl.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(baseUrl.Query))
            {
                throw new InvalidOperationException($"{Section}:PublicBaseUrl must be an absolute http(s) URL without a query.");
            }
        }
        var maxAge = section.GetValue("MaxAgeSeconds", 60);
        if (maxAge < 0)
        {
            throw new InvalidOperationException($"{Section}:MaxAgeSeconds must not be negative.");
        }
        var deepLink = string.IsNullOrWhiteSpace(section["BookingDeepLink"]) ? DefaultDeepLink : section["BookingDeepLink"]!;
        var sample = DeepLink(deepLink, "centre", "vaccine", new DateOnly(2000, 1, 1));
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var sampleUri) || sampleUri.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{Section}:BookingDeepLink must give an absolute http(s) URL.");
        }
        var minRebuild = section.GetValue("MinRebuildSeconds", 5.0);
        if (minRebuild < 0)
        {
            throw new InvalidOperationException($"{Section}:MinRebuildSeconds must not be negative.");
        }
        return new FhirFeedOptions(baseUrl, maxAge, deepLink, TimeSpan.FromSeconds(minRebuild));
    }

    public static string DeepLink(string template, string centreId, string vaccine, DateOnly date) =>
        template
            .Replace("{centreId}", Uri.EscapeDataString(centreId), StringComparison.Ordinal)
            .Replace("{vaccine}", Uri.EscapeDataString(vaccine), StringComparison.Ordinal)
            .Replace("{date}", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
