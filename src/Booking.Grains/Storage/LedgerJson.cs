using System.Text.Json;
using System.Text.Json.Serialization;
using Booking.Grains.Domain;

namespace Booking.Grains.Storage;

/// <summary>The one JSON shape of ledger payloads and stored answers: camelCase, enums by name.</summary>
public static class LedgerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        // Payloads written while the ledger stored jsonb (before migration 0017) come back in
        // jsonb's key order: "kind" need not come first.
        AllowOutOfOrderMetadataProperties = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The fact as the ledger stores it: UTF-8, as the serializer writes it and PostgreSQL
    /// takes it, with no UTF-16 string between the two.</summary>
    public static byte[] SerializeToUtf8(CentreEvent fact) => JsonSerializer.SerializeToUtf8Bytes(fact, Options);

    public static CentreEvent Deserialize(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<CentreEvent>(payload, Options) ?? throw new JsonException("Empty ledger payload.");
}
