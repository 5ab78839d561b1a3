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
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            json.WriteStartArray();
            foreach (var slot in slots)
            {
                json.WriteStartObject();
                json.WriteString(StartName, slot.Start);
                json.WriteNumber(RemainingName, slot.Remaining);
                if (slot.SecondEarliest is { } earliest && slot.SecondLatest is { } latest)
                {
                    json.WriteStartObject(SecondDoseName);
                    json.WriteString(EarliestName, earliest);
                    json.WriteString(LatestName, latest);
                    json.WriteEndObject();
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

    private static readonly JsonEncodedText StartName = JsonEncodedText.Encode("start");
    private static readonly JsonEncodedText RemainingName = JsonEncodedText.Encode("remaining");
    private static readonly JsonEncodedText SecondDoseName = JsonEncodedText.Encode("secondDose");
    private static readonly JsonEncodedText EarliestName = JsonEncodedText.Encode("earliest");
    private static readonly JsonEncodedText LatestName = JsonEncodedText.Encode("latest");

    private sealed record Entry(long Version, DateOnly Today, DateTimeOffset ValidUntil, SlotListing Listing);
}
