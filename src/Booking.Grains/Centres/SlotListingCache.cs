using System.Buffers;
using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Domain;

namespace Booking.Grains.Centres;

/// <summary>
/// A centre's latest first-dose listings, already written as JSON. Portals ask for the same week
/// of the same centre over and over; a listing stands until the centre applies a new fact, its
/// first slot starts (it would drop out) or the local day turns (the horizon moves).
/// </summary>
public sealed class SlotListingCache
{
    /// <summary>A few ranges per vaccine: the default week and the next ones a portal pages to.</summary>
    private const int Capacity = 8;

    private readonly Dictionary<(string Vaccine, DateOnly From, DateOnly To), Entry> _entries = [];

    // One buffer per thread for every listing written on it (writing never awaits): a big centre's
    // week is over 100 KB, so a fresh buffer each time would go to the large object heap, and a
    // buffer per centre would keep about a hundred megabytes alive across a national set of centres.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public SlotListing Get(Centre centre, string vaccine, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        var today = centre.Calendar.LocalDate(now);
        var key = (vaccine, from, to);
        if (_entries.TryGetValue(key, out var entry) && entry.Version == centre.Version && entry.Today == today && now < entry.ValidUntil)
        {
            return entry.Listing;
        }
        var slots = centre.FirstDoseSlots(vaccine, from, to, now);
        var listing = new SlotListing(Write(slots));
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }
        _entries[key] = new Entry(centre.Version, today, slots.Count > 0 ? slots[0].Start : DateTimeOffset.MaxValue, listing);
        return listing;
    }

    private static byte[] Write(IReadOnlyList<FirstDoseSlot> slots)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        buffer.ResetWrittenCount();
        // Every slot of a day has the same second-dose window: it is written once per day and
        // copied into each slot (two of a slot's three dates were the window's). With the starts
        // formatted directly, a big centre's week went from 477 to 385 µs, query included.
        (DateTimeOffset Earliest, DateTimeOffset Latest)? windowOf = null;
        var window = Array.Empty<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            json.WriteStartArray();
            foreach (var slot in slots)
            {
                json.WriteStartObject();
                WriteStart(json, slot.Start);
                json.WriteNumber(RemainingName, slot.Remaining);
                if (slot.SecondEarliest is { } earliest && slot.SecondLatest is { } latest)
                {
                    if (windowOf != (earliest, latest))
                    {
                        windowOf = (earliest, latest);
                        window = WriteWindow(earliest, latest);
                    }
                    json.WritePropertyName(SecondDoseName);
                    json.WriteRawValue(window, skipInputValidation: true);
                }
                else
                {
                    json.WriteNull(SecondDoseName);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The start as the serializer writes it ("2027-01-05T08:00:00+01:00"), formatted
    /// directly: slots start on whole seconds, so there is never a fraction to trim.</summary>
    private static void WriteStart(Utf8JsonWriter json, DateTimeOffset start)
    {
        if (start.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            json.WriteString(StartName, start);
            return;
        }
        // Written raw, with its quotes: the writer's default encoder would escape the '+'.
        Span<byte> text = stackalloc byte[27];
        "\"0000-00-00T00:00:00+00:00\""u8.CopyTo(text);
        Digits(text.Slice(1, 4), start.Year);
        Digits(text.Slice(6, 2), start.Month);
        Digits(text.Slice(9, 2), start.Day);
        Digits(text.Slice(12, 2), start.Hour);
        Digits(text.Slice(15, 2), start.Minute);
        Digits(text.Slice(18, 2), start.Second);
        if (start.Offset < TimeSpan.Zero)
        {
            text[20] = (byte)'-';
        }
        var offset = start.Offset.Duration();
        Digits(text.Slice(21, 2), offset.Hours);
        Digits(text.Slice(24, 2), offset.Minutes);
        json.WritePropertyName(StartName);
        json.WriteRawValue(text, skipInputValidation: true);
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    private static byte[] WriteWindow(DateTimeOffset earliest, DateTimeOffset latest)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteString(EarliestName, earliest);
            json.WriteString(LatestName, latest);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static readonly JsonEncodedText StartName = JsonEncodedText.Encode("start");
    private static readonly JsonEncodedText RemainingName = JsonEncodedText.Encode("remaining");
    private static readonly JsonEncodedText SecondDoseName = JsonEncodedText.Encode("secondDose");
    private static readonly JsonEncodedText EarliestName = JsonEncodedText.Encode("earliest");
    private static readonly JsonEncodedText LatestName = JsonEncodedText.Encode("latest");

    private sealed record Entry(long Version, DateOnly Today, DateTimeOffset ValidUntil, SlotListing Listing);
}
