using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Booking.Grains.Domain;
using Booking.Grains.Storage;

namespace Booking.Benchmarks;

/// <summary>
/// A centre's reactivation without a snapshot: the large centre's ledger (its configuration, 160
/// deliveries and 25,000 pair bookings) replayed from JSON, as the grain does after reading it.
/// Bookings carry what real ones do: 64-character identity key and birth-date check and a
/// 250-character protected contact. Payloads come as the engine writes them (the ledger stores
/// text since migration 0017) or with their keys in jsonb's order (shorter keys first), as rows
/// written before it come back. Reading the rows from the database is not included.
/// Target (BRIEF.md): a centre with 50,000 bookings reactivates in &lt; 200 ms.
/// </summary>
[MemoryDiagnoser]
public class RebuildBenchmarks : LargeCentre
{
    private byte[][] _payloads = [];

    [Params(false, true)]
    public bool JsonbOrder { get; set; }

    public override void Setup()
    {
        base.Setup();
        _payloads = RealSizedFacts()
            .Select(fact => JsonbOrder
                ? Encoding.UTF8.GetBytes(InJsonbOrder(JsonNode.Parse(LedgerJson.SerializeToUtf8(fact))!).ToJsonString())
                : LedgerJson.SerializeToUtf8(fact))
            .ToArray();
        Console.WriteLine($"// {_payloads.Length} ledger rows, {_payloads.Sum(p => p.Length) / 1024} KB of JSON");
    }

    [Benchmark(Description = "Rebuild from the ledger, 25,000 pairs (50,000 appointments)")]
    public long Rebuild()
    {
        var centre = new Centre("bench-centre", VaccineCatalog.Default);
        foreach (var payload in _payloads)
        {
            centre.Apply(LedgerJson.Deserialize(payload));
        }
        return centre.Version;
    }

    [Benchmark(Description = "The same facts applied, already deserialised")]
    public long ApplyOnly()
    {
        var centre = new Centre("bench-centre", VaccineCatalog.Default);
        foreach (var fact in Facts)
        {
            centre.Apply(fact);
        }
        return centre.Version;
    }

    /// <summary>jsonb keeps an object's keys shorter first, then in byte order. Containers are
    /// rebuilt and values copied, since a node belongs to one parent only.</summary>
    private static JsonNode InJsonbOrder(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => Encoding.UTF8.GetByteCount(p.Key)).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : InJsonbOrder(p.Value)))),
        JsonArray a => new JsonArray(a.Select(v => v is null ? null : InJsonbOrder(v)).ToArray()),
        _ => node.DeepClone(),
    };
}
