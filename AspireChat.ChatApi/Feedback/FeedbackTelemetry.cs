using System.Diagnostics;
using System.Diagnostics.Metrics;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Feedback;

/// <summary>
/// A rating as telemetry, in the OpenTelemetry GenAI conventions' terms (the <c>gen_ai.evaluation.result</c>
/// event, docs/design.md "Feedback"): a span in the rated reply's own trace, a child of the model call that
/// wrote the reply (<c>chat {model}</c>) and linked to the reply's span, and in it the event as a log record,
/// so the dashboard's log view leads to the trace and the model call in one click. A counter adds every rating
/// by rating and model. The comment never goes into telemetry: it is the user's text.
/// </summary>
public static class FeedbackTelemetry
{
    public const string SourceName = "AspireChat.Feedback";

    /// <summary>The rating span's name: the evaluation, as the proposed GenAI evaluation span names it (<c>evaluation {name}</c>).</summary>
    public const string SpanName = "evaluation " + EvaluationName;

    /// <summary><c>gen_ai.evaluation.name</c> of every rating.</summary>
    public const string EvaluationName = "user_feedback";

    /// <summary>The log record's event name: the GenAI conventions' evaluation event.</summary>
    public const string EventName = "gen_ai.evaluation.result";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter s_meter = new(SourceName);

    public static readonly Counter<long> Ratings = s_meter.CreateCounter<long>(
        "aspirechat.feedback.ratings", "{rating}", "Ratings given to replies by their owners, by rating (gen_ai.evaluation.score.label) and model (gen_ai.request.model).");

    /// <summary><c>gen_ai.evaluation.score.label</c>: low-cardinality and documented, as the conventions ask.</summary>
    public static string Label(string rating) => rating == FeedbackRatings.Up ? "thumbs_up" : "thumbs_down";

    /// <summary><c>gen_ai.evaluation.score.value</c>: 1 for up, 0 for down.</summary>
    public static double Score(string rating) => rating == FeedbackRatings.Up ? 1 : 0;

    /// <summary>
    /// Starts the rating's span. In the reply's trace under its model call (or under the reply itself, when its
    /// model call's span was not recorded), linked to the reply's span and to the request that rated it; in the
    /// request's own trace for a reply written before replies kept their trace.
    /// </summary>
    public static Activity? StartRating(ConversationMessage reply, string conversationId)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var request = Activity.Current?.Context ?? default;
        List<ActivityLink> links = [];
        var parent = request;
        if (TryContext(reply.TraceId, reply.SpanId, out var replySpan))
        {
            links.Add(new ActivityLink(replySpan));
            parent = TryContext(reply.TraceId, reply.ModelSpanId, out var modelSpan) ? modelSpan : replySpan;
            if (request != default)
            {
                links.Add(new ActivityLink(request));
            }
        }

        var activity = Source.StartActivity(ActivityKind.Internal, parent, links: links, name: SpanName);
        activity?.SetTag("gen_ai.operation.name", "evaluation");
        activity?.SetTag("gen_ai.evaluation.name", EvaluationName);
        activity?.SetTag("gen_ai.request.model", reply.Model);
        activity?.SetTag("gen_ai.conversation.id", conversationId);
        activity?.SetTag(Attributes.MessageId, reply.Id);
        return activity;
    }

    private static bool TryContext(string? traceId, string? spanId, out ActivityContext context)
    {
        context = default;
        if (traceId is not { Length: 32 } || spanId is not { Length: 16 })
        {
            return false;
        }

        try
        {
            // The span ended long ago, in another request (maybe on another instance): a remote parent, recorded.
            context = new ActivityContext(ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateFromString(spanId), ActivityTraceFlags.Recorded, isRemote: true);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Attribute names of AspireChat's own.</summary>
    public static class Attributes
    {
        public const string MessageId = "aspirechat.message.id";

        /// <summary>Whether the rating came with a comment (the comment itself is never recorded).</summary>
        public const string HasComment = "aspirechat.feedback.has_comment";
    }
}
