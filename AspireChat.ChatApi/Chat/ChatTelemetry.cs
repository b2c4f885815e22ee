using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The reply span and the streaming metrics, named after the OpenTelemetry GenAI semantic
/// conventions. The model call's own span and its duration and token metrics come from the model
/// client (the OpenAI SDK, or the offline model, which mimics it).
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

    public static readonly Histogram<double> ReplyDuration = s_meter.CreateHistogram<double>(
        "aspirechat.reply.duration", "s", "Time from a user message to the end of its reply.");

    /// <summary>Starts the span of one assistant reply, parented on the client's traceparent when it sent one.</summary>
    public static Activity? StartReply(string model, string? traceparent)
    {
        ActivityContext.TryParse(traceparent, null, out var parent);
        var activity = Source.StartActivity(ActivityKind.Client, parent, name: $"chat {model}");
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.request.model", model);
        return activity;
    }

    /// <summary>Span event names.</summary>
    public static class Events
    {
        public const string FirstChunk = "gen_ai.first_chunk";
        public const string ClientDisconnected = "aspirechat.client.disconnected";
        public const string Stop = "aspirechat.reply.stop";
    }
}
