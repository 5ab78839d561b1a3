using System.Globalization;
using System.Text.RegularExpressions;

namespace Booking.Api.Apis;

/// <summary>
/// Collects field errors while reading a request, so that one 422 lists everything wrong at once.
/// Inputs arrive as strings where their format matters, so a bad date is a field error, not a 400.
/// </summary>
public sealed partial class Input
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors;

    public void Fail(string field, string message) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    public string Text(string field, string? value, int maxLength = 200, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Fail(field, "Required.");
            }
            return "";
        }
        if (value.Length > maxLength)
        {
            Fail(field, $"At most {maxLength} characters.");
            return "";
        }
        return value.Trim();
    }

    public DateOnly Date(string field, string? value)
    {
        if (value is null)
        {
            Fail(field, "Required, as yyyy-MM-dd.");
            return default;
        }
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            Fail(field, "Expected a date as yyyy-MM-dd.");
        }
        return date;
    }

    /// <summary>An ISO 8601 instant that states its offset (Z or ±hh:mm): a local time alone is ambiguous.</summary>
    public DateTimeOffset? Instant(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Fail(field, "Required, as an ISO 8601 time with its offset.");
            }
            return null;
        }
        if (value.Length > 40 || !OffsetSuffix().IsMatch(value)
            || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var instant))
        {
            Fail(field, "Expected an ISO 8601 time with its offset, e.g. 2027-03-01T09:20:00+01:00.");
            return null;
        }
        return instant;
    }

    public TimeOnly Time(string field, string? value)
    {
        if (value is null || !TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            Fail(field, "Expected a time as HH:mm.");
            return default;
        }
        return time;
    }

    public int Number(string field, int? value, int min, int max)
    {
        if (value is null || value < min || value > max)
        {
            Fail(field, $"Required, from {min} to {max}.");
            return min;
        }
        return value.Value;
    }

    [GeneratedRegex(@"T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex OffsetSuffix();
}
