using Booking.Abstractions;
using Booking.Api.Apis;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Booking.Api.Infrastructure;

/// <summary>
/// Storage or cluster trouble is ours, not the caller's: answer 503 with Retry-After so that
/// portals back off and retry (writes are safe to retry with their Idempotency-Key).
/// </summary>
public sealed partial class UnavailableHandler(ILogger<UnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (StorageUnavailableException or NpgsqlException or TimeoutException or OrleansException))
        {
            return false;
        }
        LogUnavailable(http.Request.Method, http.GetEndpoint()?.DisplayName, exception.GetType().Name);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = "2";
        await Problems.Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "Service unavailable",
            "The booking engine cannot record decisions right now. Nothing was changed; retry shortly.").ExecuteAsync(http);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503 to {Method} {Endpoint}: {Reason}")]
    private partial void LogUnavailable(string method, string? endpoint, string reason);
}
