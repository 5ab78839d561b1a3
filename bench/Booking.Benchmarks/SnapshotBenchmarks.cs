using BenchmarkDotNet.Attributes;
using Booking.Grains.Centres;
using Booking.Grains.Domain;
using Booking.Grains.Storage;

namespace Booking.Benchmarks;

/// <summary>
/// The large centre of <see cref="RebuildBenchmarks"/> (25,000 real-sized pair bookings, 50,000
/// appointments) reactivating from a snapshot. The snapshot is as old as it can be: taken
/// <see cref="CentreOptions.SnapshotEvery"/> facts before the last, which are replayed from
/// JSON after it. Reading the rows from the database is not included.
/// Target (BRIEF.md): a centre with 50,000 bookings reactivates in &lt; 200 ms.
/// </summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks : LargeCentre
{
    private byte[] _snapshot = [];
    private byte[][] _tail = [];
    private Centre _whole = null!;

    public override void Setup()
    {
        base.Setup();
        var facts = RealSizedFacts().ToList();
        var tail = new CentreOptions().SnapshotEvery;
        var before = new Centre("bench-centre", VaccineCatalog.Default);
        _whole = new Centre("bench-centre", VaccineCatalog.Default);
        foreach (var (fact, i) in facts.Select((f, i) => (f, i)))
        {
            _whole.Apply(fact);
            if (i < facts.Count - tail)
            {
                before.Apply(fact);
            }
        }
        using (var snapshot = SnapshotBuffers.Take(before))
        {
            _snapshot = snapshot.ToArray();
        }
        _tail = facts.Skip(facts.Count - tail).Select(LedgerJson.SerializeToUtf8).ToArray();
        Console.WriteLine($"// snapshot of {before.Version} facts: {_snapshot.Length / 1024} KB; then {_tail.Length} facts, {_tail.Sum(p => p.Length) / 1024} KB of JSON");
    }

    [Benchmark(Description = "Reactivate: the snapshot, then the 2,000 facts after it")]
    public long RestoreWithTail()
    {
        var centre = CentreSnapshot.Read("bench-centre", VaccineCatalog.Default, _snapshot);
        foreach (var payload in _tail)
        {
            centre.Apply(LedgerJson.Deserialize(payload));
        }
        return centre.Version;
    }

    [Benchmark(Description = "The snapshot alone")]
    public long Restore() => CentreSnapshot.Read("bench-centre", VaccineCatalog.Default, _snapshot).Version;

    [Benchmark(Description = "Taking a snapshot of the whole centre, into pooled buffers as the grain does")]
    public long Take()
    {
        using var snapshot = SnapshotBuffers.Take(_whole);
        return snapshot.Length;
    }
}
