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

    public static string Serialize(CentreEvent fact) => JsonSerializer.Serialize(fact, Options);

    public static CentreEvent Deserialize(string payload) =>
        JsonSerializer.Deserialize<CentreEvent>(payload, Options) ?? throw new JsonException("Empty ledger payload.");
}
