namespace Booking.LoadTests.Tests;

/// <summary>Reading an API's /metrics text: samples, labels, and the API's own collections between two scrapes.</summary>
public sealed class PrometheusTextTests
{
    private const string Runtime = """
        # TYPE dotnet_gc_collections_total counter
        dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen2"} 3
        dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen1"} 5
        dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen0"} 40 1764262800000
        # TYPE dotnet_gc_pause_time_seconds_total counter
        dotnet_gc_pause_time_seconds_total{otel_scope_name="System.Runtime"} 0.5
        up 1
        """;

    [Fact]
    public void Samples_give_name_labels_and_value_and_skip_comments_and_timestamps()
    {
        var samples = PrometheusText.Samples(Runtime).ToArray();

        Assert.Equal(5, samples.Length);
        Assert.Equal(("dotnet_gc_collections_total", "otel_scope_name=\"System.Runtime\",gc_heap_generation=\"gen0\"", 40.0), samples[2]);
        Assert.Equal(("up", "", 1.0), samples[^1]);
    }

    [Theory]
    [InlineData("le=\"4\"", "le", "4")]
    [InlineData("handle=\"x\",le=\"+Inf\"", "le", "+Inf")]
    [InlineData("pool=\"Host=a;Database=b,c\",state=\"idle\"", "state", "idle")]
    [InlineData("path=\"a \\\"quoted\\\" one\",le=\"1\"", "path", "a \"quoted\" one")]
    [InlineData("handle=\"x\"", "le", null)]
    public void A_label_is_found_by_its_whole_name_with_its_value_unescaped(string labels, string key, string? value)
    {
        Assert.Equal(value, PrometheusText.Label(labels, key));
    }

    [Fact]
    public void The_api_s_collections_between_two_scrapes_and_over_several_silos()
    {
        var before = CollectorScrape.Parse(Runtime);
        var after = CollectorScrape.Parse(Runtime.Replace("} 40", "} 52").Replace("} 5\n", "} 6\n").Replace("} 0.5", "} 0.75"));
        var silos = CollectorScrape.Sum([after, before]);

        Assert.Equal(new CollectorScrape(40, 5, 3, 0.5), before);
        Assert.Equal(new ApiCollections(12, 1, 0, 250, 20), ApiCollections.Between(before, after, 20));
        Assert.Equal("13 collections (gen0 12, gen1 1, gen2 0), paused 250 ms in all (1.25 % of 20 s)", ApiCollections.Between(before, after, 20)!.Text());
        Assert.Equal(new CollectorScrape(92, 11, 6, 1.25), silos);
        Assert.Null(CollectorScrape.Parse("up 1\n"));
        Assert.Null(CollectorScrape.Sum([before, null]));
        Assert.Null(ApiCollections.Between(null, after, 20));
    }
}
