using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Booking.Feed.Tests;

public sealed class FeedTests
{
    private const string SmartRegistry = "http://fhir-registry.smarthealthit.org/StructureDefinition/";

    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());

    private static async Task<FeedHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var host = await FeedHost.StartAsync(FeedData.Now, settings);
        host.Model.Set(FeedData.Centres());
        return host;
    }

    private static async Task<List<T>> ReadAsync<T>(HttpClient client, string path) where T : Resource
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", text);
        var lines = text.Split('\n')[..^1];
        var resources = new List<T>();
        foreach (var line in lines)
        {
            Assert.DoesNotContain('\r', line);
            var resource = Deserializer.DeserializeResource(line);
            Assert.Equal(typeof(T).Name, resource.TypeName);
            resources.Add((T)resource);
        }
        return resources;
    }

    [Fact]
    public async Task Manifest_names_the_three_files_with_absolute_urls()
    {
        await using var host = await StartAsync();
        var response = await host.Client.GetAsync("/fhir/$bulk-publish");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.Public);
        Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.CacheControl?.MaxAge);

        using var manifest = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = manifest.RootElement;
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("transactionTime").GetString(), out var transactionTime));
        Assert.Equal(FeedData.Now, transactionTime);
        Assert.Equal("http://localhost/fhir/$bulk-publish", root.GetProperty("request").GetString());
        Assert.Equal(0, root.GetProperty("error").GetArrayLength());
        var outputs = root.GetProperty("output").EnumerateArray()
            .Select(o => (Type: o.GetProperty("type").GetString(), Url: o.GetProperty("url").GetString()!))
            .ToArray();
        Assert.Equal(["Location", "Schedule", "Slot"], outputs.Select(o => o.Type));
        foreach (var (_, url) in outputs)
        {
            Assert.True(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "http", url);
            var file = await host.Client.GetAsync(uri);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal("application/fhir+ndjson", file.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Manifest_uses_the_configured_public_url_and_max_age()
    {
        await using var host = await StartAsync(new Dictionary<string, string?>
        {
            ["Booking:Feed:PublicBaseUrl"] = "https://feed.example.invalid/booking/",
            ["Booking:Feed:MaxAgeSeconds"] = "120",
        });
        var response = await host.Client.GetAsync("/fhir/$bulk-publish");
        Assert.Equal(TimeSpan.FromSeconds(120), response.Headers.CacheControl?.MaxAge);
        using var manifest = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("https://feed.example.invalid/booking/fhir/$bulk-publish", manifest.RootElement.GetProperty("request").GetString());
        Assert.Equal(
            ["https://feed.example.invalid/booking/fhir/locations.ndjson", "https://feed.example.invalid/booking/fhir/schedules.ndjson", "https://feed.example.invalid/booking/fhir/slots.ndjson"],
            manifest.RootElement.GetProperty("output").EnumerateArray().Select(o => o.GetProperty("url").GetString()));

        var file = await host.Client.GetAsync("/fhir/slots.ndjson");
        Assert.True(file.Headers.CacheControl?.Public);
        Assert.Equal(TimeSpan.FromSeconds(120), file.Headers.CacheControl?.MaxAge);
    }

    [Fact]
    public async Task Locations_describe_every_centre()
    {
        await using var host = await StartAsync();
        var locations = await ReadAsync<Location>(host.Client, "/fhir/locations.ndjson");
        Assert.Equal(["cayenne", "lyon-gerland", "paris-15"], locations.Select(l => l.Id));
        var paris = locations.Single(l => l.Id == "paris-15");
        Assert.Equal("Centre Paris 15", paris.Name);
        Assert.Equal("Paris", paris.Address!.City);
        Assert.Equal("75015", paris.Address!.PostalCode);
        Assert.Equal("FR", paris.Address!.Country);
        Assert.Equal(["31 rue Péclet"], paris.Address!.Line);
        Assert.Equal(48.8412m, paris.Position!.Latitude);
        Assert.Equal(2.3003m, paris.Position!.Longitude);
        Assert.Equal(-52.326m, locations.Single(l => l.Id == "cayenne").Position!.Longitude);
    }

    [Fact]
    public async Task Schedules_carry_service_type_and_vaccine_product_and_point_at_a_location()
    {
        await using var host = await StartAsync();
        var locations = (await ReadAsync<Location>(host.Client, "/fhir/locations.ndjson")).Select(l => $"Location/{l.Id}").ToHashSet();
        var schedules = await ReadAsync<Schedule>(host.Client, "/fhir/schedules.ndjson");

        Assert.Equal(["cayenne-astrazeneca", "lyon-gerland-janssen", "paris-15-moderna", "paris-15-pfizer"], schedules.Select(s => s.Id).Order());
        var expectedCvx = new Dictionary<string, (string Cvx, string Name)>
        {
            ["cayenne-astrazeneca"] = ("210", "AstraZeneca (Vaxzevria)"),
            ["lyon-gerland-janssen"] = ("212", "Janssen"),
            ["paris-15-moderna"] = ("207", "Moderna (Spikevax)"),
            ["paris-15-pfizer"] = ("208", "Pfizer-BioNTech (Comirnaty)"),
        };
        foreach (var schedule in schedules)
        {
            var actor = Assert.Single(schedule.Actor);
            Assert.Contains(actor.Reference!, locations);

            var codings = Assert.Single(schedule.ServiceType).Coding;
            Assert.Contains(codings, c => c.System == "http://terminology.hl7.org/CodeSystem/service-type" && c.Code == "57" && c.Display == "Immunization");
            Assert.Contains(codings, c => c.System == "http://fhir-registry.smarthealthit.org/CodeSystem/service-type" && c.Code == "covid19-immunization");

            var product = Assert.IsType<Coding>(Assert.Single(schedule.Extension, e => e.Url == SmartRegistry + "vaccine-product").Value);
            Assert.Equal("http://hl7.org/fhir/sid/cvx", product.System);
            Assert.Equal(expectedCvx[schedule.Id!].Cvx, product.Code);
            Assert.Equal(expectedCvx[schedule.Id!].Name, product.Display);
        }
    }

    [Fact]
    public async Task Slots_match_the_model_and_reference_a_schedule()
    {
        await using var host = await StartAsync();
        var schedules = (await ReadAsync<Schedule>(host.Client, "/fhir/schedules.ndjson")).Select(s => $"Schedule/{s.Id}").ToHashSet();
        var slots = await ReadAsync<Slot>(host.Client, "/fhir/slots.ndjson");

        // Paris' 10th and Cayenne's 9th are before the centre's today; the unknown vaccine is left out.
        var expected = new (string Centre, string Vaccine, int Day)[]
        {
            ("cayenne", "astrazeneca", 10), ("lyon-gerland", "janssen", 11), ("paris-15", "moderna", 13),
            ("paris-15", "pfizer", 11), ("paris-15", "pfizer", 12),
        };
        Assert.Equal(expected.Length, slots.Count);
        foreach (var (centre, vaccine, day) in expected)
        {
            var model = FeedData.Find(centre, vaccine, day);
            var slot = Assert.Single(slots, s => s.Schedule.Reference == $"Schedule/{centre}-{vaccine}" && s.Start!.Value.Day == day);
            Assert.Contains(slot.Schedule.Reference!, schedules);
            Assert.Equal($"{centre}-{vaccine}-202703{day:00}", slot.Id);
            Assert.Equal(model.FirstStart, slot.Start);
            Assert.Equal(model.LastEnd, slot.End);
            Assert.Equal(model.FirstStart.Offset, slot.Start!.Value.Offset);
            Assert.Equal(model.Seats, Assert.IsType<Integer>(Assert.Single(slot.Extension, e => e.Url == SmartRegistry + "slot-capacity").Value).Value);
            Assert.Equal(model.Seats > 0 ? Slot.SlotStatus.Free : Slot.SlotStatus.Busy, slot.Status);
            Assert.Equal(
                $"https://portal.invalid/book?centre={centre}&vaccine={vaccine}&date=2027-03-{day:00}",
                Assert.IsType<FhirUrl>(Assert.Single(slot.Extension, e => e.Url == SmartRegistry + "booking-deep-link").Value).Value);
        }
        Assert.Equal(Slot.SlotStatus.Busy, slots.Single(s => s.Id == "paris-15-pfizer-20270312").Status);
        Assert.All(slots.Where(s => s.Id != "paris-15-pfizer-20270312"), s => Assert.Equal(Slot.SlotStatus.Free, s.Status));
    }

    [Fact]
    public async Task Deep_link_template_is_configurable_and_escaped()
    {
        await using var host = await FeedHost.StartAsync(FeedData.Now, new Dictionary<string, string?>
        {
            ["Booking:Feed:BookingDeepLink"] = "https://book.portal.invalid/c/{centreId}/{vaccine}?on={date}",
        });
        var centre = FeedData.Centres()[0];
        host.Model.Set(centre with { Centre = centre.Centre with { Id = "a b&c" } });
        var slot = (await ReadAsync<Slot>(host.Client, "/fhir/slots.ndjson")).First();
        Assert.Equal(
            "https://book.portal.invalid/c/a%20b%26c/moderna?on=2027-03-13",
            Assert.IsType<FhirUrl>(slot.GetExtension(SmartRegistry + "booking-deep-link")!.Value).Value);
    }

    [Fact]
    public async Task Ids_that_FHIR_would_refuse_are_replaced_consistently()
    {
        await using var host = await FeedHost.StartAsync(FeedData.Now);
        var centre = FeedData.Centres()[0];
        var longId = new string('x', 60);
        host.Model.Set(centre with { Centre = centre.Centre with { Id = "a b&c" } }, centre with { Centre = centre.Centre with { Id = longId } });

        // The Firely parser checks each id, so reading the files is the assertion on their shape.
        var locations = (await ReadAsync<Location>(host.Client, "/fhir/locations.ndjson")).Select(l => $"Location/{l.Id}").ToHashSet();
        var schedules = await ReadAsync<Schedule>(host.Client, "/fhir/schedules.ndjson");
        var slots = await ReadAsync<Slot>(host.Client, "/fhir/slots.ndjson");
        Assert.Equal(2, locations.Count);
        Assert.Contains($"Location/{longId}", locations);
        Assert.Equal(4, schedules.Select(s => s.Id).Distinct().Count());
        Assert.All(schedules, s => Assert.Contains(Assert.Single(s.Actor).Reference!, locations));
        Assert.All(slots, s => Assert.Contains(s.Schedule.Reference!, schedules.Select(x => $"Schedule/{x.Id}")));
        Assert.All(slots, s => Assert.True(s.Id!.Length <= 64));
    }

    [Theory]
    [InlineData("/fhir/locations.ndjson")]
    [InlineData("/fhir/schedules.ndjson")]
    [InlineData("/fhir/slots.ndjson")]
    public async Task ETag_gives_304_until_the_model_changes(string path)
    {
        await using var host = await StartAsync();
        var first = await host.Client.GetAsync(path);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Equal(TimeSpan.FromSeconds(60), first.Headers.CacheControl?.MaxAge);

        var again = await Conditional(host.Client, path, etag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, again.Headers.ETag);

        host.Model.Set(FeedData.Centres()[..1]);
        var changed = await Conditional(host.Client, path, etag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
    }

    [Fact]
    public async Task Files_are_built_once_per_model_version()
    {
        await using var host = await StartAsync();
        for (var i = 0; i < 5; i++)
        {
            foreach (var path in new[] { "/fhir/$bulk-publish", "/fhir/locations.ndjson", "/fhir/schedules.ndjson", "/fhir/slots.ndjson" })
            {
                Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(path)).StatusCode);
            }
        }
        Assert.Equal(1, host.Model.Reads);

        host.Model.Set(FeedData.Centres());
        await host.Client.GetAsync("/fhir/slots.ndjson");
        await host.Client.GetAsync("/fhir/locations.ndjson");
        Assert.Equal(2, host.Model.Reads);
    }

    [Fact]
    public async Task Rebuilds_wait_for_the_minimum_interval()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Booking:Feed:MinRebuildSeconds"] = "5" });
        var etag = (await host.Client.GetAsync("/fhir/slots.ndjson")).Headers.ETag;

        host.Model.Set(FeedData.Centres()[..1]);
        host.Time.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(HttpStatusCode.NotModified, (await Conditional(host.Client, "/fhir/slots.ndjson", etag)).StatusCode);

        host.Time.Now += TimeSpan.FromSeconds(4);
        var rebuilt = await Conditional(host.Client, "/fhir/slots.ndjson", etag);
        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.All((await rebuilt.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.Contains("Schedule/paris-15-", line));
    }

    [Fact]
    public async Task A_new_local_day_drops_the_previous_one_without_a_model_change()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Booking:Feed:MinRebuildSeconds"] = "3600" });
        var before = await ReadAsync<Slot>(host.Client, "/fhir/slots.ndjson");
        Assert.Contains(before, s => s.Id == "cayenne-astrazeneca-20270310");

        // 03:00 UTC on the 11th is midnight in Cayenne, and 04:00 in Paris.
        host.Time.Now = new DateTimeOffset(2027, 3, 11, 3, 0, 0, TimeSpan.Zero);
        var after = await ReadAsync<Slot>(host.Client, "/fhir/slots.ndjson");
        Assert.DoesNotContain(after, s => s.Id == "cayenne-astrazeneca-20270310");
        Assert.Equal(before.Count - 1, after.Count);
    }

    [Fact]
    public async Task Gzip_is_offered_with_its_own_etag()
    {
        await using var host = await StartAsync();
        var plain = await host.Client.GetAsync("/fhir/slots.ndjson");
        var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/slots.ndjson");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        var zipped = await host.Client.SendAsync(request);

        Assert.Equal(["gzip"], zipped.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", zipped.Headers.Vary);
        Assert.NotEqual(plain.Headers.ETag, zipped.Headers.ETag);
        await using var gzip = new GZipStream(await zipped.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var unzipped = new MemoryStream();
        await gzip.CopyToAsync(unzipped);
        Assert.Equal(await plain.Content.ReadAsByteArrayAsync(), unzipped.ToArray());
    }

    [Fact]
    public async Task Endpoints_are_public_and_tagged_for_OpenApi()
    {
        await using var host = await FeedHost.StartAsync(FeedData.Now);
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .ToDictionary(e => e.RoutePattern.RawText!);
        Assert.Equal(["/fhir/$bulk-publish", "/fhir/locations.ndjson", "/fhir/schedules.ndjson", "/fhir/slots.ndjson"], endpoints.Keys.Order(StringComparer.Ordinal));
        foreach (var endpoint in endpoints.Values)
        {
            Assert.Equal(["Public feed"], endpoint.Metadata.GetMetadata<ITagsMetadata>()!.Tags);
            Assert.NotNull(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
            Assert.Empty(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>());
        }
        Assert.Contains(endpoints["/fhir/slots.ndjson"].Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>(),
            m => m.StatusCode == 200 && m.ContentTypes.Contains("application/fhir+ndjson"));
    }

    private static Task<HttpResponseMessage> Conditional(HttpClient client, string path, EntityTagHeaderValue? etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(etag!);
        return client.SendAsync(request);
    }
}
