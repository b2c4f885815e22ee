using System.Diagnostics;
using System.Diagnostics.Metrics;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The reply span and the streaming metrics, named after the OpenTelemetry GenAI semantic
/// conventions. The OpenAI SDK does not instrument its streaming calls, so the model call's
/// duration and token metrics are recorded here too, the same way for every provider.
/// </summary>
public static class ChatTelemetry
{
    public const string SourceName = "AspireChat.Chat";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter s_meter = new(SourceName);

    public static readonly Histogram<double> TimeToFirstChunk = s_meter.CreateHistogram<double>(
        "gen_ai.client.operation.time_to_first_chunk", "s", "Time from a user message to the first chunk of its reply.");

    public static readonly Counter<long> Chunks = s_meter.CreateCounter<long>(
        "aspirechat.reply.chunks", "{chunk}", "Chunks streamed to clients; its rate is chunks per second.");

    public static readonly UpDownCounter<long> ActiveReplies = s_meter.CreateUpDownCounter<long>(
        "aspirechat.reply.active", "{reply}", "Replies streaming now.");

    public static readonly UpDownCounter<long> OpenConnections = s_meter.CreateUpDownCounter<long>(
        "aspirechat.websocket.connections", "{connection}", "Open WebSocket connections.");

    public static readonly Histogram<double> OperationDuration = s_meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "Duration of one model call, from the request to the end of its stream.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });

    public static readonly Histogram<long> TokensUsed = s_meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Input and output tokens of one model call.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });

    public static readonly Histogram<double> ReplyDuration = s_meter.CreateHistogram<double>(
        "aspirechat.reply.duration", "s", "Time from a user message to the end of its reply.");

    /// <summary>
    /// Starts the span of one assistant reply, parented on the client's traceparent when it sent one, and
    /// linked to <paramref name="connection"/> (the span of the WebSocket that carried the message) when that
    /// is another span: the connection's trace holds its way in, through Web's proxy.
    /// </summary>
    public static Activity? StartReply(string model, string? traceparent, ActivityContext connection = default)
    {
        ActivityContext.TryParse(traceparent, null, out var parent);
        ActivityLink[]? links = connection != default && connection.SpanId != parent.SpanId ? [new ActivityLink(connection)] : null;
        var activity = Source.StartActivity(ActivityKind.Client, parent, links: links, name: $"chat {model}");
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.request.model", model);
        return activity;
    }

    /// <summary>One model call's <c>gen_ai.client.operation.duration</c> and, when the model reported it, its token usage.</summary>
    public static void RecordModelCall(TimeSpan duration, string? provider, string model, TokenUsage? usage, Exception? failure)
    {
        var tags = new TagList { { "gen_ai.operation.name", "chat" }, { "gen_ai.provider.name", provider }, { "gen_ai.request.model", model } };
        if (failure is not null)
        {
            tags.Add("error.type", failure.GetType().FullName);
        }

        OperationDuration.Record(duration.TotalSeconds, tags);
        if (usage is not null)
        {
            TokensUsed.Record(usage.InputTokens, [.. tags, new("gen_ai.token.type", "input")]);
            TokensUsed.Record(usage.OutputTokens, [.. tags, new("gen_ai.token.type", "output")]);
        }
    }

    /// <summary>Span event names.</summary>
    public static class Events
    {
        public const string FirstChunk = "gen_ai.first_chunk";
        public const string ClientDisconnected = "aspirechat.client.disconnected";
        public const string Stop = "aspirechat.reply.stop";
    }
}
