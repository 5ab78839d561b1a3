using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Booking.Api.ReadModel;
using Booking.Grains.Domain;
using Hl7.Fhir.Serialization;
using R4 = Hl7.Fhir.Model;

namespace Booking.Api.Fhir;

/// <summary>
/// Turns a read-model snapshot into the Location, Schedule and Slot NDJSON files. Firely costs tens
/// of microseconds per resource (seconds for a national feed), so each resource's line is kept
/// between builds under a key holding everything it is made of: a rebuild serializes only what
/// changed and copies the rest. Not thread-safe: <see cref="FeedCache"/> runs one build at a time.
/// </summary>
public sealed class FeedBuilder
{
    public const string ServiceTypeSystem = "http://terminology.hl7.org/CodeSystem/service-type";
    public const string SmartServiceTypeSystem = "http://fhir-registry.smarthealthit.org/CodeSystem/service-type";
    public const string VaccineProductUrl = "http://fhir-registry.smarthealthit.org/StructureDefinition/vaccine-product";
    public const string SlotCapacityUrl = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity";
    public const string BookingDeepLinkUrl = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link";
    public const string CvxSystem = "http://hl7.org/fhir/sid/cvx";

    private const int MaxIdLength = 64;

    private readonly VaccineCatalog _catalog;
    private readonly FhirFeedOptions _options;
    private readonly Lines<LocationKey> _locations;
    private readonly Lines<(string Centre, string Vaccine)> _schedules;
    private readonly Lines<SlotKey> _slots;

    public FeedBuilder(VaccineCatalog catalog, FhirFeedOptions options)
    {
        _catalog = catalog;
        _options = options;
        var serializer = new LineSerializer();
        _locations = new(serializer, Location);
        _schedules = new(serializer, Schedule);
        _slots = new(serializer, Slot);
    }

    public FeedSnapshot Build(long version, IReadOnlyCollection<CentreAvailability> centres, DateTimeOffset now)
    {
        var expiresAt = DateTimeOffset.MaxValue;
        var staleAt = DateTimeOffset.MaxValue;
        var zones = new Dictionary<string, (DateOnly Today, DateTimeOffset NextMidnight)>(StringComparer.Ordinal);
        var locations = new FileWriter(centres.Count * 200L);
        var schedules = new FileWriter(centres.Count * 4 * 700L);
        var slots = new FileWriter(centres.Count * 4 * 30 * 500L);

        foreach (var centre in centres.OrderBy(c => c.Centre.Id, StringComparer.Ordinal))
        {
            var listing = centre.Centre;
            if (!zones.TryGetValue(listing.TimeZone, out var day))
            {
                day = LocalDay(listing.TimeZone, now);
                zones[listing.TimeZone] = day;
                expiresAt = day.NextMidnight < expiresAt ? day.NextMidnight : expiresAt;
            }
            locations.Write(_locations.Get(new LocationKey(listing.Id, listing.Name, listing.Address, listing.Postcode, listing.City, listing.Latitude, listing.Longitude)));

            // A vaccine the catalogue does not know has no CVX code to publish: leave it out.
            var vaccines = listing.Vaccines.Concat(centre.ByVaccine.Keys)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .Where(v => _catalog.TryGet(v, out _));
            foreach (var vaccine in vaccines)
            {
                schedules.Write(_schedules.Get((listing.Id, vaccine)));
                if (!centre.ByVaccine.TryGetValue(vaccine, out var days))
                {
                    continue;
                }
                foreach (var d in days)
                {
                    // Earlier days, and today's once their last slot has ended, have nothing left to book.
                    if (d.Date < day.Today || d.LastEnd <= now)
                    {
                        continue;
                    }
                    if (d.Date == day.Today && d.LastEnd < staleAt)
                    {
                        staleAt = d.LastEnd;
                    }
                    slots.Write(_slots.Get(new SlotKey(listing.Id, vaccine, d.Date, d.FirstStart, d.FirstStart.Offset, d.LastEnd, d.LastEnd.Offset, d.Seats)));
                }
            }
        }
        _locations.EndBuild();
        _schedules.EndBuild();
        _slots.EndBuild();

        return new FeedSnapshot(version, now, expiresAt, staleAt,
            new FeedFile(locations.ToArray(), FeedSnapshot.Tag(version, now, "l"), locations.Count),
            new FeedFile(schedules.ToArray(), FeedSnapshot.Tag(version, now, "sc"), schedules.Count),
            new FeedFile(slots.ToArray(), FeedSnapshot.Tag(version, now, "sl"), slots.Count));
    }

    private R4.Location Location(LocationKey c) => new()
    {
        Id = Id(c.Id),
        Name = c.Name,
        // The read model carries no phone or external identifier, so none is published.
        Address = new R4.Address { Line = string.IsNullOrEmpty(c.Address) ? [] : [c.Address], City = c.City, PostalCode = c.Postcode, Country = "FR" },
        Position = new R4.Location.PositionComponent { Latitude = (decimal)c.Latitude, Longitude = (decimal)c.Longitude },
    };

    private R4.Schedule Schedule((string Centre, string Vaccine) key)
    {
        var vaccine = _catalog[key.Vaccine];
        return new R4.Schedule
        {
            Id = Id(key.Centre, key.Vaccine),
            Extension =
            [
                new R4.Extension(VaccineProductUrl, new R4.Coding(CvxSystem, vaccine.Cvx, vaccine.Name)),
            ],
            ServiceType =
            [
                new R4.CodeableConcept
                {
                    Coding =
                    [
                        new R4.Coding(ServiceTypeSystem, "57", "Immunization"),
                        new R4.Coding(SmartServiceTypeSystem, "covid19-immunization", "COVID-19 Immunization Appointment"),
                    ],
                },
            ],
            Actor = [new R4.ResourceReference($"Location/{Id(key.Centre)}")],
        };
    }

    private R4.Slot Slot(SlotKey d) => new()
    {
        Id = Id(d.Centre, d.Vaccine, d.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture)),
        Extension =
        [
            new R4.Extension(SlotCapacityUrl, new R4.Integer(d.Seats)),
            new R4.Extension(BookingDeepLinkUrl, new R4.FhirUrl(FhirFeedOptions.DeepLink(_options.BookingDeepLink, d.Centre, d.Vaccine, d.Date))),
        ],
        Schedule = new R4.ResourceReference($"Schedule/{Id(d.Centre, d.Vaccine)}"),
        Status = d.Seats > 0 ? R4.Slot.SlotStatus.Free : R4.Slot.SlotStatus.Busy,
        Start = d.Start,
        End = d.End,
    };

    /// <summary>FHIR ids are at most 64 of [A-Za-z0-9-.]. Centre ids already are, but an id that
    /// is not keeps a readable prefix plus a hash of the whole, so it stays unique and stable.</summary>
    public static string Id(params string[] parts)
    {
        var id = string.Join('-', parts);
        if (id.Length <= MaxIdLength && id.Length > 0 && id.All(IsIdChar))
        {
            return id;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..16];
        var prefix = new string(id.Select(c => IsIdChar(c) ? c : '-').Take(MaxIdLength - hash.Length - 1).ToArray());
        return $"{prefix}-{hash}";
    }

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.';

    private static (DateOnly Today, DateTimeOffset NextMidnight) LocalDay(string timeZone, DateTimeOffset now)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found) ? found : TimeZoneInfo.Utc;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var midnight = today.AddDays(1).ToDateTime(TimeOnly.MinValue);
        // Where a DST change skips midnight, the day starts at the first local time that exists.
        while (zone.IsInvalidTime(midnight))
        {
            midnight = midnight.AddMinutes(15);
        }
        var offset = zone.IsAmbiguousTime(midnight) ? zone.GetAmbiguousTimeOffsets(midnight).Max() : zone.GetUtcOffset(midnight);
        return (today, new DateTimeOffset(midnight, offset));
    }

    private sealed record LocationKey(string Id, string Name, string Address, string Postcode, string City, double Latitude, double Longitude);

    /// <summary>Offsets apart from the instants: DateTimeOffset equality ignores the offset, the text does not.</summary>
    private readonly record struct SlotKey(
        string Centre, string Vaccine, DateOnly Date, DateTimeOffset Start, TimeSpan StartOffset, DateTimeOffset End, TimeSpan EndOffset, int Seats);

    /// <summary>Lines of the previous build and of this one; a line not used by this build is dropped at its end.</summary>
    private sealed class Lines<TKey>(LineSerializer serializer, Func<TKey, R4.Resource> create) where TKey : notnull
    {
        private Dictionary<TKey, byte[]> _previous = [];
        private Dictionary<TKey, byte[]> _current = [];

        public byte[] Get(TKey key)
        {
            if (_current.TryGetValue(key, out var line))
            {
                return line;
            }
            if (!_previous.TryGetValue(key, out line))
            {
                line = serializer.Serialize(create(key));
            }
            _current[key] = line;
            return line;
        }

        public void EndBuild()
        {
            _previous = _current;
            _current = new Dictionary<TKey, byte[]>(_previous.Count);
        }
    }

    /// <summary>One resource as compact JSON and a newline.</summary>
    private sealed class LineSerializer
    {
        // The file is served as NDJSON, never inside HTML, so '&' and '+' need not be escaped.
        private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        private readonly FhirJsonSerializer _serializer = new();
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);
        private readonly Utf8JsonWriter _json;

        public LineSerializer() => _json = new Utf8JsonWriter(_buffer, WriterOptions);

        public byte[] Serialize(R4.Resource resource)
        {
            _buffer.ResetWrittenCount();
            _json.Reset();
            _serializer.Serialize(resource, _json);
            _json.Flush();
            _buffer.Write("\n"u8);
            return _buffer.WrittenSpan.ToArray();
        }
    }

    private sealed class FileWriter(long expectedSize)
    {
        private readonly ArrayBufferWriter<byte> _buffer = new((int)Math.Clamp(expectedSize, 256, 64 << 20));

        public int Count { get; private set; }

        public void Write(byte[] line)
        {
            _buffer.Write(line);
            Count++;
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
