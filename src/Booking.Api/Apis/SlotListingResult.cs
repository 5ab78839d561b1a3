using Booking.Abstractions;

namespace Booking.Api.Apis;

/// <summary>A centre's listing written as it is, part after part, without joining the parts into
/// one array (which would be a large-object allocation per response for a city centre's week).</summary>
public sealed class SlotListingResult(SlotListing listing) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => "application/json";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = listing.Length;
        foreach (var part in listing.Parts)
        {
            await response.Body.WriteAsync(part, httpContext.RequestAborted);
        }
    }
}
