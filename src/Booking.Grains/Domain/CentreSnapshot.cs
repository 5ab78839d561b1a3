using System.Text;

namespace Booking.Grains.Domain;

/// <summary>
/// A centre's state in a compact binary form. Replaying a big centre's ledger costs hundreds of
/// milliseconds, nearly all of it reading JSON; a snapshot holds what the facts built (settings,
/// deliveries, every booking, the identities holding one, the waitlist and its offers, the
/// vaccines with a stock timeline) and activation replays only the facts after it. Seats and
/// stock are not stored: they are counted again from the bookings and deliveries, as a change of
/// settings does.
/// </summary>
public static class CentreSnapshot
{
    /// <summary>The layout written; a snapshot in any other is ignored and the ledger replayed whole.</summary>
    public const int Format = 1;

    private const int Magic = 0x53434B42; // "BKCS"

    /// <summary>Writes the snapshot to <paramref name="destination"/>, which stays open.</summary>
    public static void Write(Centre centre, Stream destination)
    {
        var settings = centre.Settings ?? throw new InvalidOperationException("An unconfigured centre has nothing to snapshot.");
        using (var w = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Format);
            w.Write(centre.Id);
            w.Write(centre.Version);
            WriteSettings(w, settings);
            w.Write(centre.StockOrigin.DayNumber);
            WriteAll(w, centre.Deliveries.Values, static (w, d) =>
            {
                w.Write(d.Id);
                w.Write(d.Vaccine);
                w.Write(d.Date.DayNumber);
                w.Write(d.Doses);
                w.Write((byte)d.Status);
            });
            WriteAll(w, centre.Bookings, WriteBooking);
            WriteAll(w, centre.ActiveByIdentity, static (w, a) =>
            {
                w.Write(a.Key);
                w.Write(a.Value);
            });
            WriteAll(w, centre.Waiting, WriteEntry);
            WriteAll(w, centre.Offers, static (w, o) =>
            {
                WriteEntry(w, o.Entry);
                w.Write(o.Reference);
                WriteInstant(w, o.ExpiresAt);
            });
            WriteAll(w, centre.StockedVaccines, static (w, v) => w.Write(v));
        }
    }

    /// <summary>The centre as it was when <paramref name="snapshot"/> was written.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a snapshot of this centre in this format.</exception>
    public static Centre Read(string centreId, VaccineCatalog catalog, byte[] snapshot)
    {
        using var r = new BinaryReader(new MemoryStream(snapshot, writable: false), Encoding.UTF8);
        try
        {
            if (r.ReadInt32() != Magic || r.ReadInt32() != Format)
            {
                throw new InvalidDataException("Not a centre snapshot in format " + Format + ".");
            }
            if (r.ReadString() != centreId)
            {
                throw new InvalidDataException($"The snapshot is not centre '{centreId}''s.");
            }
            var version = r.ReadInt64();
            var settings = ReadSettings(r);
            var stockOrigin = DateOnly.FromDayNumber(r.ReadInt32());
            var deliveries = ReadAll(r, static r => new Delivery(r.ReadString(), r.ReadString(), DateOnly.FromDayNumber(r.ReadInt32()), r.ReadInt32(), (DeliveryStatus)r.ReadByte()));
            var bookings = ReadAll(r, ReadBooking);
            var active = ReadAll(r, static r => KeyValuePair.Create(r.ReadString(), r.ReadString()));
            var waiting = ReadAll(r, ReadEntry);
            var offers = ReadAll(r, static r => new WaitlistOffer(ReadEntry(r), r.ReadString(), ReadInstant(r)));
            var stocked = ReadAll(r, static r => r.ReadString());
            if (r.BaseStream.Position != r.BaseStream.Length)
            {
                throw new InvalidDataException("The snapshot has bytes after its end.");
            }
            var centre = new Centre(centreId, catalog);
            centre.Restore(new CentreConfigured(settings, stockOrigin), version, deliveries, bookings, active, waiting, offers, stocked);
            return centre;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The snapshot is cut short.", ex);
        }
    }

    private static void WriteSettings(BinaryWriter w, CentreSettings s)
    {
        w.Write(s.Name);
        w.Write(s.Address);
        w.Write(s.Postcode);
        w.Write(s.City);
        w.Write(s.Latitude);
        w.Write(s.Longitude);
        w.Write(s.TimeZone);
        w.Write(s.Lines);
        w.Write(s.SlotMinutes);
        WriteAll(w, s.OpeningHours, static (w, h) =>
        {
            w.Write((byte)h.Day);
            w.Write(h.Open.Ticks);
            w.Write(h.Close.Ticks);
        });
        WriteAll(w, s.ClosedDates, static (w, d) => w.Write(d.DayNumber));
        WriteAll(w, s.Vaccines, static (w, v) => w.Write(v));
        w.Write(s.BookingHorizonDays);
        w.Write(s.BookForecastDoses);
    }

    private static CentreSettings ReadSettings(BinaryReader r) => new(
        r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadDouble(), r.ReadDouble(), r.ReadString(),
        r.ReadInt32(), r.ReadInt32(),
        ReadAll(r, static r => new OpeningHours((DayOfWeek)r.ReadByte(), new TimeOnly(r.ReadInt64()), new TimeOnly(r.ReadInt64()))),
        ReadAll(r, static r => DateOnly.FromDayNumber(r.ReadInt32())),
        ReadAll(r, static r => r.ReadString()),
        r.ReadInt32(), r.ReadBoolean());

    private static void WriteBooking(BinaryWriter w, BookingRecord b)
    {
        w.Write(b.Reference);
        w.Write(b.IdentityKey);
        w.Write(b.BirthDateCheck);
        w.Write(b.Vaccine);
        WriteAll(w, b.Appointments, WriteAppointment);
        WriteInstant(w, b.BookedAt);
        w.Write((byte)b.Status);
        w.Write(b.Number);
        w.Write(b.MinIntervalDays);
        w.Write(b.MaxIntervalDays);
        w.Write(b.FirstDoseGivenOn is not null);
        if (b.FirstDoseGivenOn is { } givenOn)
        {
            w.Write(givenOn.DayNumber);
        }
        WriteOptional(w, b.ProtectedContact);
        WriteOptional(w, b.Initials);
        w.Write(b.Given is not null);
        if (b.Given is { } given)
        {
            WriteAll(w, given, WriteAppointment);
        }
    }

    private static BookingRecord ReadBooking(BinaryReader r) => new(
        r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(),
        ReadAll(r, ReadAppointment),
        ReadInstant(r),
        (BookingStatus)r.ReadByte(),
        r.ReadInt32(), r.ReadInt32(), r.ReadInt32(),
        r.ReadBoolean() ? DateOnly.FromDayNumber(r.ReadInt32()) : null,
        ReadOptional(r),
        ReadOptional(r),
        r.ReadBoolean() ? ReadAll(r, ReadAppointment) : null);

    private static void WriteAppointment(BinaryWriter w, Appointment a)
    {
        w.Write((byte)a.Dose);
        WriteInstant(w, a.Start);
    }

    private static Appointment ReadAppointment(BinaryReader r) => new(r.ReadByte(), ReadInstant(r));

    private static void WriteEntry(BinaryWriter w, WaitlistEntry e)
    {
        w.Write(e.Id);
        w.Write(e.Vaccine);
        w.Write(e.IdentityKey);
        w.Write(e.BirthDateCheck);
        WriteInstant(w, e.JoinedAt);
        WriteOptional(w, e.PostponedReference);
        WriteOptional(w, e.ProtectedContact);
        WriteOptional(w, e.Initials);
    }

    private static WaitlistEntry ReadEntry(BinaryReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), ReadInstant(r), ReadOptional(r), ReadOptional(r), ReadOptional(r));

    /// <summary>The instant and the offset it was written with: starts are shown in the centre's local time.</summary>
    private static void WriteInstant(BinaryWriter w, DateTimeOffset instant)
    {
        w.Write(instant.UtcTicks);
        w.Write((short)instant.TotalOffsetMinutes);
    }

    private static DateTimeOffset ReadInstant(BinaryReader r)
    {
        var utcTicks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(utcTicks + offset.Ticks, offset);
    }

    private static void WriteOptional(BinaryWriter w, string? text)
    {
        w.Write(text is not null);
        if (text is not null)
        {
            w.Write(text);
        }
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteAll<T>(BinaryWriter w, IReadOnlyCollection<T> items, Action<BinaryWriter, T> write)
    {
        w.Write(items.Count);
        foreach (var item in items)
        {
            write(w, item);
        }
    }

    private static void WriteAll<T>(BinaryWriter w, IEnumerable<T> items, Action<BinaryWriter, T> write) =>
        WriteAll(w, items as IReadOnlyCollection<T> ?? items.ToArray(), write);

    private static T[] ReadAll<T>(BinaryReader r, Func<BinaryReader, T> read)
    {
        var count = r.ReadInt32();
        if (count < 0 || count > r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new InvalidDataException("The snapshot holds an impossible count.");
        }
        var items = new T[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = read(r);
        }
        return items;
    }
}
