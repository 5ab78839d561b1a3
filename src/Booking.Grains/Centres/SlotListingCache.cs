using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Booking.Abstractions;
using Booking.Grains.Domain;

namespace Booking.Grains.Centres;

/// <summary>
/// A centre's latest first-dose listings, already written as JSON. Portals ask for the same week
/// of the same centre over and over; a listing stands until the centre applies a new fact, its
/// first slot starts (it would drop out) or the local day turns (the horizon moves). A listing is
/// kept from its second read in the same state on, or from its second read within
/// <paramref name="lag"/>: during a crowd a busy centre changes between any two reads, and a week
/// written afresh for every reader cost more than the bookings themselves. Such a listing is
/// served for up to <paramref name="lag"/> after it was written, even if the centre changed since:
/// a portal then shows a seat taken less than that long ago, and the booking of it is refused as
/// full. Only the centre's grain writes listings; kept ones are also read from other threads
/// (<see cref="Find"/>), so what is kept is replaced whole, never changed in place.
/// </summary>
/// <param name="lag">How far behind the centre a listing may be; zero: never behind.</param>
public sealed class SlotListingCache(TimeSpan lag)
{
    /// <summary>The four weeks of the booking horizon for up to four vaccines: a portal pages
    /// through them, and with fewer kept a crowd paging through them all found none kept.</summary>
    private const int Capacity = 16;

    private volatile Kept _kept = Kept.None;

    // One buffer per thread for every listing written on it (writing never awaits): a big centre's
    // week is over 100 KB, so a fresh buffer each time would go to the large object heap, and a
    // buffer per centre would keep about a hundred megabytes alive across a national set of centres.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    // Likewise the slots a listing is written from: a city centre's week is a thousand of them.
    [ThreadStatic]
    private static List<FirstDoseSlot>? t_slots;

    /// <summary>The listing, written afresh unless a kept one is still right. Only on the centre's grain.</summary>
    public SlotListing Get(Centre centre, string vaccine, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        var kept = _kept;
        var entry = kept.Find(vaccine, from, to);
        // A range asked for again in the same state or within the lag: served if kept, kept if not.
        var readAgain = entry is not null && entry.Serves(centre.Version, now, lag);
        if (readAgain && entry!.Listing is { } listing)
        {
            return listing;
        }
        var slots = t_slots ??= [];
        slots.Clear();
        centre.FirstDoseSlots(vaccine, from, to, now, slots);
        listing = Write(slots);
        // Kept only when asked for again in the same state or within the lag. A listing read once
        // and kept until the next change outlived the young generation just long enough to be
        // copied out of it: such listings were most of what each gen0 collection copied.
        var written = new Entry(vaccine, from, to, centre.Version, centre.Calendar.LocalDate(now), centre.Calendar.Zone,
            slots.Count > 0 ? slots[0].Start : DateTimeOffset.MaxValue, now, readAgain ? listing : null);
        _kept = kept.With(centre, written, Capacity, now, lag);
        return listing;
    }

    /// <summary>A kept listing that is still right, or null; from any thread, without the grain.</summary>
    public SlotListing? Find(string vaccine, DateOnly from, DateOnly to, DateTimeOffset now)
    {
        var kept = _kept;
        return kept.Find(vaccine, from, to) is { Listing: { } listing } entry && entry.Serves(kept.Centre!.Version, now, lag) ? listing : null;
    }

    private static SlotListing Write(List<FirstDoseSlot> slots)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        buffer.ResetWrittenCount();
        // Written byte by byte rather than through Utf8JsonWriter, which took about 300 ns a slot:
        // a listing is a thousand objects of one fixed shape. Every slot of a day has the same
        // second-dose window, so it is formatted once per day and copied into each slot.
        (DateTimeOffset Earliest, DateTimeOffset Latest)? windowOf = null;
        Span<byte> window = stackalloc byte[WindowBytes];
        var windowLength = 0;
        for (var i = 0; i < slots.Count; i++)
        {
            var slot = slots[i];
            var text = buffer.GetSpan(MaxSlotBytes);
            var length = 0;
            Append(text, ref length, i == 0 ? "[{\"start\":"u8 : ",{\"start\":"u8);
            AppendInstant(text, ref length, slot.Start);
            Append(text, ref length, ",\"remaining\":"u8);
            slot.Remaining.TryFormat(text[length..], out var digits, provider: CultureInfo.InvariantCulture);
            length += digits;
            Append(text, ref length, ",\"secondDose\":"u8);
            if (slot.SecondEarliest is { } earliest && slot.SecondLatest is { } latest)
            {
                if (windowOf != (earliest, latest))
                {
                    windowOf = (earliest, latest);
                    windowLength = WriteWindow(window, earliest, latest);
                }
                Append(text, ref length, window[..windowLength]);
            }
            else
            {
                Append(text, ref length, "null"u8);
            }
            Append(text, ref length, "}"u8);
            buffer.Advance(length);
        }
        buffer.Write(slots.Count == 0 ? "[]"u8 : "]"u8);
        return SlotListing.Of(buffer.WrittenSpan);
    }

    /// <summary>An instant quoted, as the serializer writes it, formatted directly: slots start on
    /// whole seconds, so there is never a fraction to trim. False for one that does not.</summary>
    private static bool TryFormat(Span<byte> text, DateTimeOffset instant)
    {
        if (instant.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return false;
        }
        "\"0000-00-00T00:00:00+00:00\""u8.CopyTo(text);
        // Each of DateTimeOffset's Year, Month, Day… works the date out of the ticks again.
        var local = instant.DateTime;
        local.Deconstruct(out var year, out var month, out var day);
        var time = local.TimeOfDay;
        Digits(text.Slice(1, 4), year);
        Digits(text.Slice(6, 2), month);
        Digits(text.Slice(9, 2), day);
        Digits(text.Slice(12, 2), time.Hours);
        Digits(text.Slice(15, 2), time.Minutes);
        Digits(text.Slice(18, 2), time.Seconds);
        if (instant.Offset < TimeSpan.Zero)
        {
            text[20] = (byte)'-';
        }
        var offset = instant.Offset.Duration();
        Digits(text.Slice(21, 2), offset.Hours);
        Digits(text.Slice(24, 2), offset.Minutes);
        return true;
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>Writes <c>{"earliest":…,"latest":…}</c> into <paramref name="into"/>; returns its length.</summary>
    private static int WriteWindow(Span<byte> into, DateTimeOffset earliest, DateTimeOffset latest)
    {
        var length = 0;
        Append(into, ref length, "{\"earliest\":"u8);
        AppendInstant(into, ref length, earliest);
        Append(into, ref length, ",\"latest\":"u8);
        AppendInstant(into, ref length, latest);
        Append(into, ref length, "}"u8);
        return length;
    }

    private static void AppendInstant(Span<byte> into, ref int length, DateTimeOffset instant)
    {
        if (TryFormat(into[length..], instant))
        {
            length += QuotedInstantBytes;
            return;
        }
        // A start with a fraction of a second: the serializer's own text, which is longer.
        var text = JsonSerializer.SerializeToUtf8Bytes(instant);
        Append(into, ref length, text);
    }

    private static void Append(Span<byte> into, ref int length, ReadOnlySpan<byte> text)
    {
        text.CopyTo(into[length..]);
        length += text.Length;
    }

    private const int QuotedInstantBytes = 27;

    /// <summary>The serializer's longest instant, with a fraction of a second.</summary>
    private const int LongestInstantBytes = QuotedInstantBytes + 8;

    private const int WindowBytes = 32 + 2 * LongestInstantBytes;

    /// <summary>A slot's object with its comma: the names, its start, its remaining seats and its window.</summary>
    private const int MaxSlotBytes = 64 + LongestInstantBytes + 11 + WindowBytes;

    /// <summary>The state a range's listing was last written for and when, and the listing if it is kept.</summary>
    private sealed record Entry(
        string Vaccine, DateOnly From, DateOnly To, long Version, DateOnly Today, TimeZoneInfo Zone, DateTimeOffset ValidUntil,
        DateTimeOffset WrittenAt, SlotListing? Listing)
    {
        public bool IsFor(string vaccine, DateOnly from, DateOnly to) => From == from && To == to && Vaccine == vaccine;

        /// <summary>
        /// Written for the centre's <paramref name="version"/>, or less than <paramref name="lag"/> before
        /// <paramref name="now"/> (never after it: a clock set back does not make a listing recent); and
        /// still in force: before its first slot starts, on the centre's day of <paramref name="now"/> (a
        /// new zone comes with a new version, and a listing is never more than a lag behind one).
        /// </summary>
        public bool Serves(long version, DateTimeOffset now, TimeSpan lag) =>
            (Version == version || (now >= WrittenAt && now - WrittenAt < lag)) &&
            now < ValidUntil && DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime) == Today;
    }

    /// <summary>The entries of one centre, never changed once published.</summary>
    private sealed class Kept(Centre? centre, Entry[] entries)
    {
        public static readonly Kept None = new(null, []);

        public Centre? Centre { get; } = centre;

        public Entry? Find(string vaccine, DateOnly from, DateOnly to)
        {
            foreach (var entry in entries)
            {
                if (entry.IsFor(vaccine, from, to))
                {
                    return entry;
                }
            }
            return null;
        }

        /// <summary>These entries with <paramref name="written"/> in place of its range's, without those
        /// that could neither be served nor make a next read a second one (the centre changed and the
        /// lag has passed), and, once full, without the one written longest ago.</summary>
        public Kept With(Centre centre, Entry written, int capacity, DateTimeOffset now, TimeSpan lag)
        {
            var others = entries
                .Where(e => !e.IsFor(written.Vaccine, written.From, written.To) && e.Serves(centre.Version, now, lag))
                .OrderByDescending(e => e.WrittenAt)
                .Take(capacity - 1);
            return new Kept(centre, [.. others, written]);
        }
    }
}
