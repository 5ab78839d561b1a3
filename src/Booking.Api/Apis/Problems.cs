using Booking.Abstractions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Booking.Api.Apis;

/// <summary>The problem types of the HTTP contract (RFC 9457), one place for all of them.</summary>
public static class Problems
{
    public const string TypePrefix = "/problems/";

    /// <summary>Documents, for OpenAPI, what every keyed endpoint may answer besides its own problems.</summary>
    public static RouteGroupBuilder WithKeyedProblems(this RouteGroupBuilder group) => group
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>Documents an endpoint's problem types (their `type` is /problems/&lt;name&gt;).</summary>
    public static RouteHandlerBuilder WithProblems(this RouteHandlerBuilder endpoint, string description, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            endpoint.ProducesProblem(status);
        }
        return endpoint.WithDescription(description);
    }

    public static ProblemHttpResult From(Problem problem) => problem.Kind switch
    {
        ProblemKind.Validation => Validation(new Dictionary<string, string[]> { [problem.Field ?? "body"] = [problem.Detail] }),
        ProblemKind.CentreNotFound => Create(StatusCodes.Status404NotFound, "centre-not-found", "Centre not found", problem.Detail),
        ProblemKind.BookingNotFound => BookingNotFound(),
        ProblemKind.SlotFull => Create(StatusCodes.Status409Conflict, "slot-full", "Slot full", problem.Detail),
        ProblemKind.NoSecondDose => Create(StatusCodes.Status409Conflict, "no-second-dose", "No second dose", problem.Detail),
        ProblemKind.OutOfStock => Create(StatusCodes.Status409Conflict, "out-of-stock", "Out of stock", problem.Detail),
        ProblemKind.AlreadyBooked => Create(StatusCodes.Status409Conflict, "already-booked", "Already booked", problem.Detail),
        ProblemKind.NotActive => Create(StatusCodes.Status409Conflict, "not-active", "Booking not active", problem.Detail),
        ProblemKind.DeliveryNotFound => Create(StatusCodes.Status404NotFound, "delivery-not-found", "Delivery not found", problem.Detail),
        ProblemKind.WaitlistEntryNotFound => Create(StatusCodes.Status404NotFound, "waitlist-entry-not-found", "Waitlist entry not found", problem.Detail),
        ProblemKind.SupplyShortfall => SupplyShortfall(problem),
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem.Kind, "Unknown problem kind."),
    };

    /// <summary>409 whose body carries the supply-cut plan as top-level members, for the manager to preview.</summary>
    private static ProblemHttpResult SupplyShortfall(Problem problem)
    {
        var plan = problem.Plan ?? throw new ArgumentException("A shortfall carries its plan.", nameof(problem));
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Type = TypePrefix + "supply-shortfall",
            Title = "Supply shortfall",
            Detail = problem.Detail,
            Extensions =
            {
                ["postpone"] = plan.Postpone,
                ["kept"] = plan.Kept,
                ["delivery"] = plan.Delivery,
            },
        });
    }

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Type = TypePrefix + "validation",
            Title = "The request has invalid fields",
        });

    public static ProblemHttpResult CentreNotFound(string centreId) =>
        Create(StatusCodes.Status404NotFound, "centre-not-found", "Centre not found", $"Centre '{centreId}' does not exist.");

    /// <summary>The same answer for an unknown reference and a wrong birth date: references cannot be probed.</summary>
    public static ProblemHttpResult BookingNotFound() =>
        Create(StatusCodes.Status404NotFound, "booking-not-found", "Booking not found", "No booking matches this reference and birth date.");

    public static ProblemHttpResult IdempotencyKeyReused() =>
        Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused",
            "This Idempotency-Key was already used with a different request body.");

    public static ProblemHttpResult Create(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + type);
}
