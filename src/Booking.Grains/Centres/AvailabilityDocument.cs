using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Booking.Grains.Domain;

namespace Booking.Grains.Centres;

/// <summary>
/// The day-by-day availability a centre publishes for one vaccine, as the JSON the read model reads
/// (<c>[{"date","firstStart","lastEnd","slots","seats"}]</c>, what the serializer writes for
/// <see cref="DaySummary"/>). Written by hand into reused buffers: every changed centre publishes
/// each second, and through the serializer each document cost a list, a boxed struct per day and
/// the serializer's own state.
/// </summary>
public static class AvailabilityDocument
{
    [ThreadStatic]
    private static List<DaySummary>? t_days;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The document in UTF-8, as it is stored.</summary>
    public static byte[] Write(Centre centre, string vaccine, DateTimeOffset now)
    {
        var days = t_days ??= [];
        days.Clear();
        centre.DailyAvailability(vaccine, now, days);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4 * 1024);
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            Span<byte> date = stackalloc byte[10];
            json.WriteStartArray();
            foreach (var day in days)
            {
                json.WriteStartObject();
                day.Date.TryFormat(date, out var written, "yyyy-MM-dd", CultureInfo.InvariantCulture);
                json.WriteString(DateName, date[..written]);
                json.WriteString(FirstStartName, day.FirstStart);
                json.WriteString(LastEndName, day.LastEnd);
                json.WriteNumber(SlotsName, day.Slots);
                json.WriteNumber(SeatsName, day.Seats);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static readonly JsonEncodedText DateName = JsonEncodedText.Encode("date");
    private static readonly JsonEncodedText FirstStartName = JsonEncodedText.Encode("firstStart");
    private static readonly JsonEncodedText LastEndName = JsonEncodedText.Encode("lastEnd");
    private static readonly JsonEncodedText SlotsName = JsonEncodedText.Encode("slots");
    private static readonly JsonEncodedText SeatsName = JsonEncodedText.Encode("seats");
}
