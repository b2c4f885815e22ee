using System.Diagnostics;
using System.Diagnostics.Metrics;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Replies;

/// <summary>
/// A reply's span and the streaming metrics. Each model call under a reply has its own GenAI span
/// (<c>chat {model}</c>) and the <c>gen_ai.client.*</c> metrics, from Microsoft.Extensions.AI's
/// <c>UseOpenTelemetry()</c>; the reply span holds what the model call does not see: the conversation, the
/// time from the user's message to the first chunk, how the reply ended (stopped, cut off, saved or not).
/// </summary>
public static class ReplyTelemetry
{
    /// <summary>The ActivitySource and Meter of AspireChat's own spans and metrics (ServiceDefaults listens to <c>AspireChat.*</c>).</summary>
    public const string SourceName = "AspireChat.Chat";

    /// <summary>The reply span's name.</summary>
    public const string ReplySpanName = "reply";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter s_meter = new(SourceName);

    public static readonly Histogram<double> TimeToFirstChunk = s_meter.CreateHistogram<double>(
        "aspirechat.reply.time_to_first_chunk", "s", "Time from a user message to the first chunk of its reply, reading history and retries included.");

    public static readonly Counter<long> Chunks = s_meter.CreateCounter<long>(
        "aspirechat.reply.chunks", "{chunk}", "Chunks streamed to clients; its rate is chunks per second.");

    public static readonly UpDownCounter<long> ActiveReplies = s_meter.CreateUpDownCounter<long>(
        "aspirechat.reply.active", "{reply}", "Replies streaming now.");

    public static readonly UpDownCounter<long> OpenConnections = s_meter.CreateUpDownCounter<long>(
        "aspirechat.websocket.connections", "{connection}", "Open WebSocket connections.");

    public static readonly Histogram<double> ReplyDuration = s_meter.CreateHistogram<double>(
        "aspirechat.reply.duration", "s", "Time from a user message to the end of its reply.");

    /// <summary>
    /// Starts the span of one assistant reply, parented on the client's traceparent when it sent one, and
    /// linked to <paramref name="connection"/> (the span of the WebSocket that carried the message) when that
    /// is another span: the connection's trace holds its way in, through Web's proxy. It begins at
    /// <paramref name="receivedAt"/>, when the message arrived (now when not given), so the span holds the wait for a
    /// thread that its <c>time_to_first_chunk</c> counts.
    /// </summary>
    public static Activity? StartReply(string? traceparent, ActivityContext connection = default, DateTimeOffset receivedAt = default)
    {
        ActivityContext.TryParse(traceparent, null, out var parent);
        ActivityLink[]? links = connection != default && connection.SpanId != parent.SpanId ? [new ActivityLink(connection)] : null;
        return Source.StartActivity(ActivityKind.Internal, parent, links: links, startTime: receivedAt, name: ReplySpanName);
    }

    /// <summary>How the reply ended, as the client saw it (the model call's own span has its finish reason and token usage).</summary>
    public static void RecordEnd(Activity? activity, string finishReason, Exception? error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(Attributes.FinishReason, finishReason);
        if (finishReason == FinishReasons.Cancelled)
        {
            activity.AddEvent(new ActivityEvent(Events.Stop));
        }

        if (error is not null)
        {
            activity.SetTag("error.type", error.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
    }

    /// <summary>Span attribute names.</summary>
    public static class Attributes
    {
        public const string TimeToFirstChunk = "aspirechat.reply.time_to_first_chunk";
        public const string FinishReason = "aspirechat.reply.finish_reason";

        // How the reply was stored in Redis, in place of a span per stored batch (Replies/Redis/RedisReplyStoreSummary.cs).
        public const string StoreAppends = "aspirechat.reply.store.appends";
        public const string StoreFrames = "aspirechat.reply.store.frames";
        public const string StoreBytes = "aspirechat.reply.store.bytes";
        public const string StoreSlowestAppend = "aspirechat.reply.store.slowest_append";
        public const string StoreFailedAppends = "aspirechat.reply.store.failed_appends";
    }

    /// <summary>Span event names.</summary>
    public static class Events
    {
        public const string FirstChunk = "aspirechat.reply.first_chunk";
        public const string ClientDisconnected = "aspirechat.client.disconnected";
        public const string Stop = "aspirechat.reply.stop";
    }
}
