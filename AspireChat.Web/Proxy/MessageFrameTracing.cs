using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AspireChat.Web.Proxy;

/// <summary>
/// Puts Web's hop into the trace of each chat message: a client <c>message</c> frame starts a
/// "ws message" span parented on the frame's <c>traceparent</c> (set by the page), and the frame
/// goes on to ChatApi carrying that span's id instead, so ChatApi's spans become its children.
/// </summary>
public static class MessageFrameTracing
{
    public const string ActivitySourceName = "AspireChat.Web";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>
    /// For a <c>message</c> frame, starts the span and returns the frame with its traceparent
    /// rewritten; any other frame (or no one listening) gives <c>null</c> and the frame passes unchanged.
    /// </summary>
    public static (Activity Activity, byte[] Frame)? StartMessageSpan(ReadOnlySpan<byte> frame)
    {
        if (!Source.HasListeners() || !TryParseMessage(frame, out var json))
        {
            return null;
        }

        var parent = ActivityContext.TryParse(Text(json, "traceparent"), traceState: null, isRemote: true, out var context)
            ? context
            : default;
        var activity = Source.StartActivity("ws message", ActivityKind.Client, parent);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("network.protocol.name", "websocket");
        activity.SetTag("aspirechat.conversation.id", Text(json, "conversationId"));
        activity.SetTag("aspirechat.message.client_id", Text(json, "id"));

        json["traceparent"] = activity.Id;
        return (activity, Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    /// <summary>True when the frame is a JSON object whose <c>type</c> is <c>message</c>.</summary>
    private static bool TryParseMessage(ReadOnlySpan<byte> frame, out JsonObject json)
    {
        json = null!;
        try
        {
            if (JsonNode.Parse(frame) is JsonObject parsed && Text(parsed, "type") == "message")
            {
                json = parsed;
                return true;
            }
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException)
        {
            // Not JSON, duplicate keys, ...: ChatApi answers it with an error frame; the proxy only relays.
        }

        return false;
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
