using System.Text.Json;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Feedback;
using AspireChat.ChatApi.Owners;
using AspireChat.ChatApi.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AspireChat.ChatApi.Apis;

/// <summary>
/// <c>/api/conversations/{id}/messages/{messageId}/feedback</c>: the owner's rating of a reply (docs/protocol.md,
/// "Feedback"). Stored in the message, shown live in every tab (a <c>feedback</c> frame), and recorded as
/// telemetry in the reply's own trace (<see cref="FeedbackTelemetry"/>).
/// </summary>
public static class FeedbackApi
{
    /// <summary>The longest comment, in characters (Unicode scalar values).</summary>
    public const int MaxCommentLength = 2000;

    /// <summary>The problem title of a rating refused for its body.</summary>
    public const string InvalidFeedback = "invalid_feedback";

    public static RouteGroupBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations/{id}/messages/{messageId}/feedback")
            .WithTags("Feedback")
            .RequireRateLimiting(ChatRateLimits.ApiPolicy);

        api.MapPut("/", RateAsync)
            .Accepts<FeedbackRequest>("application/json")
            .WithName("RateReply")
            .WithSummary("Rates one of the caller's replies up or down, with an optional comment.");
        api.MapDelete("/", RemoveRatingAsync)
            .WithName("RemoveRating")
            .WithSummary("Removes the rating of one of the caller's replies.");
        return api;
    }

    public static async Task<Results<Ok<MessageFeedback>, NotFound, ValidationProblem, ProblemHttpResult>> RateAsync(
        string id, string messageId, HttpRequest body, Owner owner, IFeedbackStore store, IReplyBroker broker, TimeProvider timeProvider,
        ILogger<FeedbackRequest> logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        FeedbackRequest? request;
        try
        {
            // Read here rather than bound: a body of the wrong shape is a clear 400 in every environment, not an exception.
            request = await body.ReadFromJsonAsync(FeedbackJsonContext.Default.FeedbackRequest, cancellationToken);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON object: { \"rating\": \"up\" | \"down\", \"comment\"?: string }."] }, title: InvalidFeedback);
        }

        var comment = string.IsNullOrWhiteSpace(request?.Comment) ? null : request.Comment.Trim();
        if (request?.Rating is not (FeedbackRatings.Up or FeedbackRatings.Down))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["rating"] = ["\"up\" or \"down\"."] }, title: InvalidFeedback);
        }

        if (comment is not null && comment.EnumerateRunes().Count() > MaxCommentLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["comment"] = [$"At most {MaxCommentLength} characters."] }, title: InvalidFeedback);
        }

        var feedback = new MessageFeedback(request.Rating, comment, timeProvider.GetUtcNow());
        var (stored, reply) = await StoreAsync(id, messageId, feedback, owner, store, broker, logger, cancellationToken);
        if (stored == FeedbackOutcome.Saved)
        {
            Record(reply!, id, feedback, logger);
        }

        return stored switch
        {
            FeedbackOutcome.Saved => TypedResults.Ok(feedback),
            FeedbackOutcome.NotFound => TypedResults.NotFound(),
            FeedbackOutcome.NotAssistant => NotAReply(),
            _ => ConversationsApi.StoreUnavailable(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveRatingAsync(
        string id, string messageId, Owner owner, IFeedbackStore store, IReplyBroker broker, ILogger<FeedbackRequest> logger, CancellationToken cancellationToken)
    {
        var (stored, _) = await StoreAsync(id, messageId, null, owner, store, broker, logger, cancellationToken);
        return stored switch
        {
            FeedbackOutcome.Saved => TypedResults.NoContent(),
            FeedbackOutcome.NotFound => TypedResults.NotFound(),
            FeedbackOutcome.NotAssistant => NotAReply(),
            _ => ConversationsApi.StoreUnavailable(),
        };
    }

    /// <summary>Stores the rating and tells the conversation's tabs; null when the store could not be reached.</summary>
    private static async Task<(FeedbackOutcome? Outcome, ConversationMessage? Message)> StoreAsync(
        string id, string messageId, MessageFeedback? feedback, Owner owner, IFeedbackStore store, IReplyBroker broker, ILogger logger, CancellationToken cancellationToken)
    {
        if (!ConversationIds.IsWellFormed(id) || messageId.Length > ClientFrame.MaxIdLength)
        {
            return (FeedbackOutcome.NotFound, null);
        }

        FeedbackResult result;
        try
        {
            result = await store.SetAsync(owner.Id, id, messageId, feedback, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            FeedbackLog.StoreUnavailable(logger, exception);
            return (null, null);
        }

        if (result.Outcome == FeedbackOutcome.Saved)
        {
            try
            {
                await broker.PublishToWatchersAsync(id, new FeedbackFrame(id, messageId, feedback), originId: null, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                FeedbackLog.NotPublished(logger, exception);
            }
        }

        return (result.Outcome, result.Message);
    }

    private static ProblemHttpResult NotAReply() =>
        TypedResults.Problem(title: ErrorCodes.InvalidTarget, detail: "Only replies can be rated, not your own messages.", statusCode: StatusCodes.Status400BadRequest);

    /// <summary>The rating's span, its evaluation event and the counter; nothing of the comment but whether there was one.</summary>
    private static void Record(ConversationMessage reply, string conversationId, MessageFeedback feedback, ILogger logger)
    {
        var label = FeedbackTelemetry.Label(feedback.Rating);
        var score = FeedbackTelemetry.Score(feedback.Rating);
        using (var span = FeedbackTelemetry.StartRating(reply, conversationId))
        {
            span?.SetTag("gen_ai.evaluation.score.label", label);
            span?.SetTag("gen_ai.evaluation.score.value", score);
            span?.SetTag(FeedbackTelemetry.Attributes.HasComment, feedback.Comment is not null);
            new EvaluationResult(label, score, reply.Model, conversationId, reply.Id, feedback.Comment is not null).Log(logger);
        }

        FeedbackTelemetry.Ratings.Add(1,
            new KeyValuePair<string, object?>("gen_ai.evaluation.score.label", label),
            new KeyValuePair<string, object?>("gen_ai.request.model", reply.Model ?? "unknown"));
    }
}
